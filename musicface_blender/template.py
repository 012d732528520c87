"""The MusicFace head template: find the .blend and append its objects into the scene.

The template is built by the engine (`musicface build-template`, core/blend_template.py)
into blend_templates/; a built extension carries a copy in its own templates/ folder.
"""

from __future__ import annotations

from pathlib import Path

import bpy

TEMPLATE_FILE = "musicface_head.blend"
HEAD_NAME = "MusicFace_Head"
_PACKAGE = Path(__file__).resolve().parent
CANDIDATES = (
    _PACKAGE / "templates" / TEMPLATE_FILE,  # inside the built extension
    _PACKAGE.parent / "blend_templates" / TEMPLATE_FILE,  # a repository checkout
)


def template_path() -> Path | None:
    return next((path for path in CANDIDATES if path.is_file()), None)


def append_template(context: bpy.types.Context, path: Path | None = None) -> bpy.types.Object:
    """Append the template's objects into the active collection; return the head mesh."""
    path = path or template_path()
    if path is None:
        raise FileNotFoundError(
            f"MusicFace head template not found (looked for {TEMPLATE_FILE}); "
            "build it with `musicface build-template`"
        )
    with bpy.data.libraries.load(str(path), link=False) as (source, target):
        target.objects = list(source.objects)
    collection = context.collection or context.scene.collection
    head = None
    for obj in target.objects:
        if obj is None:
            continue
        collection.objects.link(obj)
        if obj.type == "MESH" and obj.name.startswith(HEAD_NAME) and head is None:
            head = obj
    if head is None:
        raise LookupError(f"{path.name} has no mesh named {HEAD_NAME}")
    return head
