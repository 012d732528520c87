"""Lyrics in Blender: a take's aligned words become ♫ markers that survive a save, the take
records its lyrics, and the panel's lyrics reach the engine's command line."""

from __future__ import annotations

import json
from pathlib import Path

import bpy

from musicface_blender.engine import GenerateRequest
from tests.blender.conftest import make_performance

WORDS = [
    {"word": "soy", "line": 0, "start": 0.2, "end": 0.5, "interpolated": False,
     "phones": [["s", 0.2, 0.3], ["'oI", 0.3, 0.5]]},
    {"word": "un", "line": 0, "start": 0.6, "end": 0.9, "interpolated": False,
     "phones": [["'u", 0.6, 0.8], ["n", 0.8, 0.9]]},
    {"word": "fantasma", "line": 1, "start": 1.25, "end": 1.9, "interpolated": True,
     "phones": []},
]  # fmt: skip


def _take_with_lyrics(tmp_path: Path) -> Path:
    performance = make_performance()
    performance.meta["lyrics"] = {
        "language": "es",
        "lines": ["soy un", "fantasma"],
        "words": WORDS,
        "file": "lyrics.txt",
        "strength": 0.5,
    }
    return performance.save(tmp_path / "take.npz")


def test_words_become_markers_that_a_saved_blend_reads_back(template_head, tmp_path):
    scene = bpy.context.scene
    scene.timeline_markers.new("my cue", frame=10)
    take = _take_with_lyrics(tmp_path)
    assert bpy.ops.musicface.generate(performance=str(take)) == {"FINISHED"}
    # A second take replaces MusicFace's word markers, never the user's.
    assert bpy.ops.musicface.generate(performance=str(take)) == {"FINISHED"}
    saved = tmp_path / "lyrics.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(saved))
    bpy.ops.wm.open_mainfile(filepath=str(saved))

    markers = bpy.context.scene.timeline_markers
    words = sorted((m.frame, m.name) for m in markers if m.name.startswith("♫"))
    assert words == [(1 + round(w["start"] * 30), "♫" + w["word"]) for w in WORDS]
    assert [m.frame for m in markers if m.name == "my cue"] == [10]
    action = bpy.context.scene.musicface.target.data.shape_keys.animation_data.action
    recorded = json.loads(action["musicface_lyrics"])
    assert recorded["words"] == WORDS and recorded["lines"] == ["soy un", "fantasma"]


def test_word_markers_off_adds_none(template_head, tmp_path):
    bpy.context.scene.musicface.word_markers = False
    assert bpy.ops.musicface.generate(performance=str(_take_with_lyrics(tmp_path))) == {"FINISHED"}
    assert not [m for m in bpy.context.scene.timeline_markers if m.name.startswith("♫")]


def test_a_text_blocks_lyrics_reach_the_engine(tmp_path):
    request = GenerateRequest(
        song=tmp_path / "song.wav", lyrics_text="soy un fantasma\n", lyrics_strength=0.7,
        language="es",
    )  # fmt: skip
    request.prepare(tmp_path)
    argv = request.arguments(tmp_path / "performance.npz")
    i = argv.index("--lyrics")
    assert Path(argv[i + 1]).read_text(encoding="utf-8") == "soy un fantasma\n"
    assert argv[argv.index("--lyrics-strength") + 1] == "0.7"
    assert argv[argv.index("--language") + 1] == "es"
    assert "--lyrics" not in GenerateRequest(song=tmp_path / "song.wav").arguments(
        tmp_path / "performance.npz"
    )
