"""All of MusicFace's scene settings, under one namespaced root: `scene.musicface`."""

from __future__ import annotations

import bpy
from bpy.props import (
    BoolProperty,
    EnumProperty,
    FloatProperty,
    IntProperty,
    PointerProperty,
    StringProperty,
)

from .core_link import SEPARATORS
from .engine import CAPTURE_MAX_SIDE, CAPTURE_MAX_SIDE_RANGE, RENDER_SIZES
from .layers import Strengths

# What the menu says about each of the engine's separators (core/separation/names.py).
_SEPARATOR_TEXT = {
    "auto": ("Auto", "Spleeter when installed, else the DSP separator"),
    "spleeter": ("Spleeter", "Spleeter 2-stems (best)"),
    "dsp": ("DSP", "Fast harmonic/percussive split, no model needed"),
    "none": ("None", "Use the mix for both streams"),
}
SEPARATOR_ITEMS = tuple(
    (name, *_SEPARATOR_TEXT.get(name, (name.title(), f"The engine's {name} separator")))
    for name in SEPARATORS
)


def _is_mesh(_self, obj: bpy.types.Object) -> bool:
    return obj.type == "MESH"


class MusicFaceSettings(bpy.types.PropertyGroup):
    song: StringProperty(name="Song", subtype="FILE_PATH", description="The song to sing")
    vocals: StringProperty(
        name="Vocals", subtype="FILE_PATH", description="Optional vocal stem (skips separation)"
    )
    accompaniment: StringProperty(
        name="Accompaniment", subtype="FILE_PATH", description="Optional accompaniment stem"
    )
    video: StringProperty(
        name="Video",
        subtype="FILE_PATH",
        description="A face on video to capture (its sound becomes the take's sound strip)",
    )
    capture_calibration: EnumProperty(
        name="Calibration",
        description="How the tracker's scores map onto shape-key values",
        items=(
            ("template", "Template head", "Onto the MusicFace head's scale (fitted for it)"),
            ("raw", "Raw MediaPipe", "MediaPipe's own scores, unmapped"),
            ("file", "File", "A calibration .json (fitted by scripts/calibrate_capture.py)"),
        ),
        default="template",
    )
    capture_calibration_file: StringProperty(
        name="Calibration file", subtype="FILE_PATH", description="A capture calibration (.json)"
    )
    capture_smoothing: BoolProperty(
        name="Smooth jitter",
        default=True,
        description="Take out the tracker's frame-to-frame jitter (blinks are kept)",
    )
    capture_own_neutral: BoolProperty(
        name="Performer's neutral",
        default=True,
        description="The performer's face at rest is the head's rest: brows that sit high "
        "or lips that part at rest are not read as raised or open",
    )
    capture_max_side: IntProperty(
        name="Tracking size",
        subtype="PIXEL",
        min=CAPTURE_MAX_SIDE_RANGE[0],
        max=CAPTURE_MAX_SIDE_RANGE[1],
        default=CAPTURE_MAX_SIDE,
        description="Frames are tracked at most this many pixels on the long side",
    )
    separator: EnumProperty(
        name="Separator",
        description="How the engine splits vocals from accompaniment",
        items=SEPARATOR_ITEMS,
        default="auto",
    )
    target: PointerProperty(
        name="Head",
        type=bpy.types.Object,
        poll=_is_mesh,
        description="Mesh with ARKit shape keys (empty: the active object)",
    )
    pose_mode: EnumProperty(
        name="Head pose",
        description="Where the head motion goes",
        items=(
            ("AUTO", "Auto", "The template's neck pivot, else the head object itself"),
            ("OBJECT", "Object", "An object of your choice"),
            ("BONE", "Bone", "A bone of an armature"),
            ("NONE", "None", "No head motion"),
        ),
        default="AUTO",
    )
    pose_object: PointerProperty(name="Pose object", type=bpy.types.Object)
    pose_bone: StringProperty(name="Bone", description="Bone of the armature that turns the head")
    subject: IntProperty(name="Subject style", min=0, default=0, description="Singer style")
    seed: IntProperty(name="Take seed", min=0, default=0, description="Blinks vary with it")
    mouth_gate: BoolProperty(
        name="Mouth rests without voice",
        default=True,
        description="Where the separated vocals are quiet the mouth rests (off: the model "
        "alone, which can sing along to what the separator leaves of the band)",
    )
    lyrics: StringProperty(
        name="Lyrics file",
        subtype="FILE_PATH",
        description="The song's lyrics: .txt (one line per lyric line) or .lrc; aligned to "
        "the vocals, their phones shape the mouth and the words become markers",
    )
    lyrics_text: PointerProperty(
        name="Lyrics text",
        type=bpy.types.Text,
        description="Or a text block holding the lyrics (used when no file is given)",
    )
    lyrics_strength: FloatProperty(
        name="Lyrics strength",
        min=0.0,
        max=1.0,
        default=0.5,
        description="How far the phones' mouth shapes replace the model's (from 0.5 on every "
        "aligned p/b/m shuts the lips)",
    )
    lyrics_language: StringProperty(
        name="Language",
        default="auto",
        description="auto (guessed from the words), en, es, fr, de, it, pt, …",
    )
    word_markers: BoolProperty(
        name="Word markers",
        default=True,
        description="One timeline marker per sung word (names start with ♫)",
    )
    checkpoint: StringProperty(
        name="Checkpoint", subtype="FILE_PATH", description="Generator checkpoint (empty: default)"
    )
    strength_expression: FloatProperty(name="Lips & expression", min=0, soft_max=2, default=1)
    strength_head: FloatProperty(name="Head motion", min=0, soft_max=2, default=1)
    strength_blinks: FloatProperty(name="Blinks", min=0, soft_max=2, default=1)
    strength_long_closures: FloatProperty(name="Long closures", min=0, soft_max=2, default=1)
    keyframes: EnumProperty(
        name="Keyframes",
        items=(
            ("EVERY_FRAME", "Every frame", "A key on every frame"),
            ("SIMPLIFIED", "Simplified", "Only the keys needed within the maximum error"),
        ),
        default="EVERY_FRAME",
    )
    max_error: FloatProperty(
        name="Max error",
        min=0.0001,
        max=1.0,  # what `musicface animate --simplify` and batch.py accept (below 1)
        soft_max=0.2,
        default=0.01,
        precision=3,
        description="Largest change simplification may make to a shape-key value (0–1)",
    )
    sound: BoolProperty(name="Add song to sequencer", default=True)
    beat_markers: BoolProperty(name="Beat markers", default=True)
    attention: BoolProperty(
        name="Attention curves", default=True, description="Store them as custom properties"
    )

    photoreal_output: StringProperty(
        name="Output",
        subtype="FILE_PATH",
        description="Where the photoreal video goes (empty: //photoreal/<take>.mp4 beside "
        "the .blend); an existing file is never overwritten: a number is added",
    )
    photoreal_renderer: StringProperty(
        name="Renderer",
        subtype="FILE_PATH",
        description="A renderer trained with `musicface-train renderer` (.pt; empty: the "
        "bundled default)",
    )
    photoreal_size: EnumProperty(
        name="Size",
        items=tuple((str(size), f"{size} px", f"{size}×{size} pixels") for size in RENDER_SIZES),
        default=str(RENDER_SIZES[0]),
    )
    photoreal_to_sequencer: BoolProperty(
        name="Add to sequencer",
        default=True,
        description="Add the video as a movie strip (its picture; the song strip plays the "
        "sound); off: only report where it is",
    )

    live_port: IntProperty(
        name="Live port",
        min=1,
        max=65535,
        default=9870,
        description="The localhost UDP port `musicface live --send udp://127.0.0.1:PORT` sends to",
    )
    live_record: BoolProperty(
        name="Record",
        default=False,
        description="When Live stops, write what arrived as a new take",
    )

    def strengths(self) -> Strengths:
        return Strengths(
            expression=self.strength_expression,
            head=self.strength_head,
            blinks=self.strength_blinks,
            long_closures=self.strength_long_closures,
        )
