"""View3D › Sidebar › MusicFace."""

from __future__ import annotations

import bpy

from .ops_engine import RUNNING
from .ops_live import LIVE, live_status


class MUSICFACE_PT_main(bpy.types.Panel):
    bl_idname = "MUSICFACE_PT_main"
    bl_label = "MusicFace"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "MusicFace"

    def draw(self, context: bpy.types.Context) -> None:
        settings = context.scene.musicface
        layout = self.layout
        layout.use_property_split = True
        layout.use_property_decorate = False

        layout.prop(settings, "song")
        stems = layout.column(heading="Stems", align=True)
        stems.prop(settings, "vocals")
        stems.prop(settings, "accompaniment")
        layout.prop(settings, "separator")

        layout.separator()
        layout.prop(settings, "target")
        if settings.target is None and context.active_object is not None:
            layout.label(text=f"Using the active object: {context.active_object.name}")
        layout.operator("musicface.add_head", icon="USER")
        layout.prop(settings, "pose_mode")
        if settings.pose_mode in {"OBJECT", "BONE"}:
            layout.prop(settings, "pose_object")
        if settings.pose_mode == "BONE" and settings.pose_object is not None:
            if settings.pose_object.type == "ARMATURE":
                layout.prop_search(settings, "pose_bone", settings.pose_object.pose, "bones")

        layout.separator()
        layout.prop(settings, "subject")
        layout.prop(settings, "seed")
        layout.prop(settings, "mouth_gate")

        header, body = layout.panel("musicface_lyrics", default_closed=True)
        header.label(text="Lyrics")
        if body is not None:
            body.prop(settings, "lyrics")
            if not settings.lyrics:
                body.prop(settings, "lyrics_text")
            body.prop(settings, "lyrics_language")
            body.prop(settings, "lyrics_strength")
            body.prop(settings, "word_markers")

        header, body = layout.panel("musicface_strengths", default_closed=False)
        header.label(text="Strengths")
        if body is not None:
            body.prop(settings, "strength_expression")
            body.prop(settings, "strength_head")
            body.prop(settings, "strength_blinks")
            body.prop(settings, "strength_long_closures")

        header, body = layout.panel("musicface_output", default_closed=True)
        header.label(text="Keyframes & scene")
        if body is not None:
            body.prop(settings, "keyframes")
            if settings.keyframes == "SIMPLIFIED":
                body.prop(settings, "max_error")
            body.prop(settings, "sound")
            body.prop(settings, "beat_markers")
            body.prop(settings, "attention")
            body.prop(settings, "checkpoint")

        layout.separator()
        # While a run is on, the operators' poll greys the buttons out; the bar shows it.
        layout.operator("musicface.generate", icon="PLAY_SOUND")
        layout.separator()
        live = layout.column(heading="Live", align=True)
        live.prop(settings, "live_port")
        live.prop(settings, "live_record")
        running = "session" in LIVE
        live.operator(
            "musicface.live",
            text="Stop live" if running else "Start live",
            icon="PAUSE" if running else "REC",
            depress=running,
        )
        if running:
            live.label(text=live_status())

        layout.separator()
        layout.prop(settings, "video")
        header, body = layout.panel("musicface_capture", default_closed=True)
        header.label(text="Capture settings")
        if body is not None:
            body.prop(settings, "capture_calibration")
            if settings.capture_calibration == "file":
                body.prop(settings, "capture_calibration_file")
            body.prop(settings, "capture_smoothing")
            body.prop(settings, "capture_own_neutral")
            body.prop(settings, "capture_max_side")
        layout.operator("musicface.capture", icon="FILE_MOVIE")

        header, body = layout.panel("musicface_photoreal", default_closed=True)
        header.label(text="Photoreal")
        if body is not None:
            body.prop(settings, "photoreal_output")
            body.prop(settings, "photoreal_renderer")
            body.prop(settings, "photoreal_size")
            body.prop(settings, "photoreal_to_sequencer")
        layout.operator("musicface.render_photoreal", icon="RENDER_ANIMATION")
        job = RUNNING.get("job")
        if job is not None:
            layout.progress(factor=job.progress, type="BAR", text=f"{job.stage} (Esc to cancel)")
