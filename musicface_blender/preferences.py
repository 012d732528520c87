"""Add-on preferences: where the engine's Python is, and a button that checks it."""

from __future__ import annotations

import bpy
from bpy.props import StringProperty

from .engine import check_engine, find_engine_python

ADDON_ID = __package__  # "musicface_blender" in a checkout, "bl_ext.<repo>.musicface" installed


def preferences(context: bpy.types.Context | None = None):
    """This add-on's preferences, or None when it runs without being enabled (bpy scripts)."""
    context = context or bpy.context
    addon = context.preferences.addons.get(ADDON_ID)
    return addon.preferences if addon is not None else None


def engine_python(context: bpy.types.Context | None = None) -> tuple[str, str] | None:
    prefs = preferences(context)
    return find_engine_python(prefs.engine_python if prefs is not None else "")


class MusicFacePreferences(bpy.types.AddonPreferences):
    bl_idname = ADDON_ID

    engine_python: StringProperty(
        name="Engine Python",
        subtype="FILE_PATH",
        description="Python interpreter with the MusicFace engine installed "
        "(empty: found automatically)",
    )
    engine_status: StringProperty(name="Status", default="not checked")

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        layout.prop(self, "engine_python")
        row = layout.row()
        row.operator(MUSICFACE_OT_check_engine.bl_idname, icon="CHECKMARK")
        row.label(text=self.engine_status)


class MUSICFACE_OT_check_engine(bpy.types.Operator):
    """Find the MusicFace engine and report its version"""

    bl_idname = "musicface.check_engine"
    bl_label = "Check engine"

    def execute(self, context: bpy.types.Context) -> set[str]:
        found = engine_python(context)
        if found is None:
            ok, text = False, "No engine found: set the engine's Python in the preferences"
        else:
            ok, text = check_engine(found[0])
            text = f"{text} ({found[1]})"
        prefs = preferences(context)
        if prefs is not None:
            prefs.engine_status = text
        self.report({"INFO"} if ok else {"ERROR"}, text)
        return {"FINISHED"} if ok else {"CANCELLED"}
