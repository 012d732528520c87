"""The MusicFace head template: find the .blend and append the head (and its pivot).

The template is built by the engine (`musicface build-template`, core/blend_template.py)
into blend_templates/; a built extension carries a copy in its own templates/ folder.
"""

from __future__ import annotations

from pathlib import Path

import bpy

from .core_link import HEAD_OBJECT, PIVOT_OBJECT, MissingModel

TEMPLATE_FILE = "musicface_head.blend"
_PACKAGE = Path(__file__).resolve().parent
CANDIDATES = (
    _PACKAGE / "templates" / TEMPLATE_FILE,  # inside the built extension
    _PACKAGE.parent / "blend_templates" / TEMPLATE_FILE,  # a repository checkout
)


def template_path() -> Path | None:
    return next((path for path in CANDIDATES if path.is_file()), None)


def append_template(context: bpy.types.Context, path: Path | None = None) -> bpy.types.Object:
    """Append the template's head and neck pivot into the active collection; return the head.

    The template's camera and lights stay behind: the user's scene has its own. A missing
    or broken template is a missing asset (MissingModel): rebuilding it is the fix.
    """
    path = path or template_path()
    if path is None:
        raise MissingModel(
            f"MusicFace head template not found (looked for {TEMPLATE_FILE}); "
            "build it with `musicface build-template`"
        )
    try:
        with bpy.data.libraries.load(str(path), link=False) as (source, target):
            wanted = (HEAD_OBJECT, PIVOT_OBJECT)
            target.objects = [name for name in source.objects if name in wanted]
    except OSError as err:
        raise MissingModel(f"cannot read the head template {path}: {err}") from err
    collection = context.collection or context.scene.collection
    head = None
    for obj in target.objects:
        if obj is None:
            continue
        collection.objects.link(obj)
        if obj.type == "MESH" and head is None:
            head = obj
    if head is None:
        raise MissingModel(f"{path.name} has no mesh named {HEAD_OBJECT}; rebuild the template")
    return head
