"""A corpus with today's performer's mouth: its truth made again from the stored phones.

The performer's mouth depends only on what was sung (each clip stores its phones, notes
and breaths), the singer's style and voice range (in the manifest): not on the audio. So
a change of the mouth model (visemes.py) needs no new singing, band or separation: the
mouth and brow columns are made again from the stored phones, the eye columns (blinks,
squints) and every other array stay as they are, and the audio is linked, not copied.
`make_clip` with the same performer gives the same mouth (the tests hold the two equal).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from core.errors import BadInput
from core.face.arkit import ARKIT_INDEX
from core.progress import ProgressFn, no_progress
from training.manifest import read_manifest, write_manifest
from training.synth.singer import SungPhone
from training.synth.styles import _RANGES, STYLES
from training.synth.visemes import mouth

# The columns the eye model writes (clip.py): kept as the clip has them.
EYE_COLUMNS = tuple(
    ARKIT_INDEX[n] for n in ("eyeBlinkLeft", "eyeBlinkRight", "eyeSquintLeft", "eyeSquintRight")
)


def sung_phones(content: dict[str, np.ndarray]) -> list[SungPhone]:
    """The clip's phones with the pitch and loudness of the note each belongs to (the note
    sounding at the phone's middle, else the next one: an onset consonant's)."""
    notes = np.asarray(content["notes"], np.float64).reshape(-1, 4)
    phones = []
    for name, (start, end) in zip(content["phone_names"], content["phone_times"], strict=True):
        middle = 0.5 * (start + end)
        inside = np.flatnonzero((notes[:, 0] <= middle) & (middle < notes[:, 1]))
        k = int(inside[0]) if len(inside) else int(np.clip(np.searchsorted(notes[:, 0], middle),
                                                           0, len(notes) - 1))  # fmt: skip
        phones.append(SungPhone(str(name), float(start), float(end), notes[k, 2], notes[k, 3]))
    return phones


def breaths(content: dict[str, np.ndarray], fps: float) -> list[tuple[float, float]]:
    """The clip's breaths (s): as stored, or (corpora from before `breaths`) from its mask."""
    if "breaths" in content:
        return [(float(a), float(b)) for a, b in np.asarray(content["breaths"]).reshape(-1, 2)]
    mask = np.asarray(content["breath"], bool)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(int), [0]])))
    return [(a / fps, b / fps) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def remouthed(content: dict[str, np.ndarray], subject: str, voice: str) -> np.ndarray:
    """(T, 52) the clip's expression with the mouth and brows of today's performer."""
    fps = float(content["fps"])
    old = np.asarray(content["expression"], np.float32)
    times = np.arange(len(old)) / fps
    style = next((s for s in STYLES if s.name == subject), None)
    kind = voice.split("+", 1)[0]
    if style is None or kind not in _RANGES:
        raise BadInput(f"unknown style {subject!r} or voice {voice!r}")
    low, high = _RANGES[kind][0]
    face = mouth(
        sung_phones(content), breaths(content, fps), times, style, (float(low), float(high))
    )
    face[:, list(EYE_COLUMNS)] = old[:, list(EYE_COLUMNS)]
    return face


def remouth_corpus(source: Path, out: Path, progress: ProgressFn = no_progress) -> Path:
    """`source` (a synthetic corpus) again as `out`, with today's mouth; returns its manifest."""
    manifest = read_manifest(source)
    if out.exists() and any(out.iterdir()):
        raise BadInput(f"{out} exists and is not empty")
    (out / "clips").mkdir(parents=True, exist_ok=True)
    for k, entry in enumerate(manifest.clips):
        if "voice" not in entry:
            raise BadInput(f"clip {entry.get('id')} has no voice: not a synthetic corpus")
        path = source / "clips" / f"{entry['id']}.npz"
        with np.load(path, allow_pickle=False) as data:
            content = {key: data[key] for key in data.files}
        content["expression"] = remouthed(content, str(entry["subject"]), str(entry["voice"]))
        np.savez(out / "clips" / f"{entry['id']}.npz", **content)
        for key in ("mixture", "vocals", "accompaniment"):
            if key in entry:
                os.symlink((source / entry[key]).resolve(), out / entry[key])
        progress("remouth", (k + 1) / len(manifest.clips))
    raw = json.loads((source / "manifest.json").read_text())
    raw.setdefault("generator", {})["remouthed_from"] = source.name
    return write_manifest(out, raw)
