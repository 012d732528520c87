"""The scene around a take: the song as a sound strip, the frame range, beat markers.

Only what MusicFace made earlier is replaced (its own strip and markers, found by a
tag), never the user's strips or markers.
"""

from __future__ import annotations

import math
from pathlib import Path

import bpy
import numpy as np

STRIP_TAG = "musicface_song"  # custom property on our sound strip
MARKER_PREFIX = "♪"
WORD_MARKER_PREFIX = "♫"  # word markers: neither the beats' nor the user's


def scene_fps(scene: bpy.types.Scene) -> float:
    return scene.render.fps / scene.render.fps_base


def set_scene_fps(scene: bpy.types.Scene, fps: float) -> None:
    """fps as Blender stores it: an integer over a base (23.976 → 24 / 1.001)."""
    whole = round(fps)
    if abs(fps - whole) < 1e-6:
        scene.render.fps, scene.render.fps_base = int(whole), 1.0
    else:
        rounded = math.ceil(fps)
        scene.render.fps, scene.render.fps_base = rounded, rounded / fps


def scene_strips(scene: bpy.types.Scene):
    editor = scene.sequence_editor or scene.sequence_editor_create()
    # 5.0 renamed `sequences` to `strips` (4.4+ has both).
    return editor.strips if hasattr(editor, "strips") else editor.sequences


def song_strips(scene: bpy.types.Scene) -> list:
    if scene.sequence_editor is None:
        return []
    return [strip for strip in scene_strips(scene) if strip.get(STRIP_TAG)]


def remove_song_strips(scene: bpy.types.Scene) -> None:
    """Remove MusicFace's own sound strip(s), never the user's."""
    for strip in song_strips(scene):
        scene_strips(scene).remove(strip)


def set_song_strip(scene: bpy.types.Scene, song: Path, frame_start: int):
    """Replace MusicFace's earlier sound strip with `song`, starting at `frame_start`.

    Returns None when this Blender has no audio (the 4.2 `bpy` module is built
    without Audaspace); the take is written all the same.
    """
    if not bpy.app.build_options.audaspace:
        return None
    remove_song_strips(scene)
    strips = scene_strips(scene)
    used = {strip.channel for strip in strips}
    channel = next(c for c in range(1, 129) if c not in used)
    strip = strips.new_sound(f"MusicFace {song.stem}", str(song), channel, frame_start)
    strip[STRIP_TAG] = True
    return strip


def set_beat_markers(scene: bpy.types.Scene, beats: np.ndarray | None, fps: float, start: int):
    """Replace MusicFace's beat markers (names starting with ♪) by one per beat."""
    markers = scene.timeline_markers
    for marker in [m for m in markers if m.name.startswith(MARKER_PREFIX)]:
        markers.remove(marker)
    if beats is None:
        return
    for number, seconds in enumerate(np.asarray(beats).reshape(-1), start=1):
        markers.new(f"{MARKER_PREFIX}{number}", frame=start + int(round(seconds * fps)))


def set_word_markers(scene: bpy.types.Scene, words: list, fps: float, start: int) -> None:
    """Replace MusicFace's word markers (names starting with ♫) by one per aligned word
    (`{"word", "start", …}` of a take's meta["lyrics"]), at the word's onset."""
    markers = scene.timeline_markers
    for marker in [m for m in markers if m.name.startswith(WORD_MARKER_PREFIX)]:
        markers.remove(marker)
    for word in words:
        frame = start + int(round(float(word["start"]) * fps))
        markers.new(f"{WORD_MARKER_PREFIX}{word['word']}", frame=frame)
