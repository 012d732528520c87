"""MusicFace for Blender: a song in, a singing ARKit head out, as editable keyframes.

Registration lives here and only here: a tuple of classes, registered in order and
unregistered in reverse. The add-on never imports torch; it runs the engine as a
subprocess (engine.py) and writes what it returns (apply.py).
"""

from __future__ import annotations

import bpy

from .ops_capture import MUSICFACE_OT_capture
from .ops_generate import MUSICFACE_OT_generate
from .ops_head import MUSICFACE_OT_add_head
from .ops_live import MUSICFACE_OT_live
from .ops_photoreal import MUSICFACE_OT_render_photoreal
from .panel import MUSICFACE_PT_main
from .preferences import MUSICFACE_OT_check_engine, MusicFacePreferences
from .properties import MusicFaceSettings

CLASSES = (
    MusicFaceSettings,
    MusicFacePreferences,
    MUSICFACE_OT_check_engine,
    MUSICFACE_OT_add_head,
    MUSICFACE_OT_generate,
    MUSICFACE_OT_capture,
    MUSICFACE_OT_render_photoreal,
    MUSICFACE_OT_live,
    MUSICFACE_PT_main,
)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.musicface = bpy.props.PointerProperty(type=MusicFaceSettings)


def unregister() -> None:
    del bpy.types.Scene.musicface
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
