""" "Add MusicFace head": the template head (52 ARKit shape keys, neck pivot) into the scene."""

from __future__ import annotations

import bpy

from .core_link import MusicFaceError
from .template import append_template


class MUSICFACE_OT_add_head(bpy.types.Operator):
    """Append the MusicFace template head and make it the target"""

    bl_idname = "musicface.add_head"
    bl_label = "Add MusicFace head"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            head = append_template(context)
        except MusicFaceError as err:
            self.report({"ERROR"}, str(err))
            return {"CANCELLED"}
        for obj in context.selected_objects:
            obj.select_set(False)
        head.select_set(True)
        context.view_layer.objects.active = head
        context.scene.musicface.target = head
        self.report({"INFO"}, f"Added {head.name}")
        return {"FINISHED"}
