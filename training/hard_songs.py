"""Songs of the kinds that fool a lip model, with the truth of when the lead sings.

Each kind is a synthetic song (training/synth's singer and band) in which one thing
that real songs do is always present: ad-libs, shouted and spoken backing, a choir,
distorted guitars with a screamed lead, rap over a trap beat, a lead instrument in
the vocal stream, long reverb tails, call and response. The performer's mouth truth
follows the lead only, so every frame where something else sounds and the lead is
away is one where the mouth must rest.

The seeds are this module's own (`SEED`), never a training corpus's: these songs are
for measuring (`benchmarks/hard_songs.py`) and for the tests, not for fitting.

Per song and kind: AUC of jawOpen between frames where the lead sings and frames
where it is away, the share of the kind's frames (the kind sounds, the lead is away)
with the mouth shut (jawOpen < JAW_CLOSED, as the real-song benchmark counts it),
beside the loudness envelope of the same vocal stream.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from core.face.arkit import ARKIT_INDEX
from training import metrics as M
from training.real_songs import JAW_CLOSED, auc

SEED = 9107  # this module's songs only; no corpus uses it
JAW = ARKIT_INDEX["jawOpen"]
# Loud enough in the separated vocal stream to be something (dB from its own level).
AUDIBLE_DB = -35.0
# What each kind turns on (Realism fields at chance 1), and where its frames are:
# "crowd" (other_voices spans), "answers" (backing_answers), or "stream" (wherever the
# separated vocal stream is audible and the lead is away).
KINDS: dict[str, tuple[dict[str, Any], str]] = {
    "ad-libs": ({"adlibs": 1.0}, "crowd"),
    "shouted and spoken backing": ({"shouts": 1.0, "spoken": 1.0}, "crowd"),
    "choir": ({"choir": 1.0}, "crowd"),
    "distorted guitars, screamed lead": ({"guitar": 1.0, "scream": 1.0}, "stream"),
    "rap over a dense beat": ({"rap": 1.0, "trap": 1.0}, "stream"),
    "lead instrument": ({"lead_instrument": 1.0}, "stream"),
    "reverb tails": ({"reverb": 1.0}, "stream"),
    "call and response": ({"backing": 1.0, "answers": 1.0}, "answers"),
}
# Everything else of the hard kinds off, so a song shows its own kind and no other.
_QUIET = {"choir": 0.0, "shouts": 0.0, "spoken": 0.0, "adlibs": 0.0, "guitar": 0.0,
          "scream": 0.0, "trap": 0.0, "trap_sung": 0.0, "lead_instrument": 0.0,
          "answers": 0.0}  # fmt: skip


def kind_realism(kind: str) -> Any:
    from training.synth.realism import Realism

    overrides, _ = KINDS[kind]
    return replace(Realism(), **{**_QUIET, **overrides})


def kind_clip(kind: str, number: int, stems: str = "clean") -> Any:
    """Song `number` of `kind` (a training/synth Clip; made in this process, so eSpeak's
    state makes it reproducible only from a fresh process: see training/synth/corpus.py)."""
    from training.synth.clip import make_clip

    index = list(KINDS).index(kind) * 1000 + number
    return make_clip(SEED, index, (12.0, 18.0), stems=stems, realism=kind_realism(kind))


def write_song(clip: Any, folder: Path) -> tuple[Path, Path]:
    """The clip's mixture as FLAC and its truth arrays as .npz (allow_pickle=False)."""
    import soundfile as sf

    folder.mkdir(parents=True, exist_ok=True)
    audio = folder / f"{clip.id}.flac"
    sf.write(audio, np.clip(clip.mixture, -1.0, 1.0), clip.sr, subtype="PCM_16")
    truth = folder / f"{clip.id}.npz"
    keep = ("voice_activity", "breath", "backing_answers", "other_voices", "fps")
    np.savez(truth, **{k: clip.arrays[k] for k in keep if k in clip.arrays})
    return audio, truth


@dataclass
class KindTruth:
    sung: np.ndarray  # (T,) bool: the lead sings
    away: np.ndarray  # (T,) bool: the lead is away (the metrics' margin)
    spans: np.ndarray  # (T,) bool: the kind sounds (crowd / answers spans)


def read_truth(path: Path, frames: int) -> KindTruth:
    with np.load(path, allow_pickle=False) as data:
        content = {k: data[k] for k in data.files}
    fps = float(content["fps"])
    sung = np.zeros(frames, bool)
    activity = np.asarray(content["voice_activity"], bool)[:frames]
    sung[: len(activity)] = activity
    breath = np.zeros(frames, bool)
    b = np.asarray(content["breath"], bool)[:frames]
    breath[: len(b)] = b
    away = M.silent_frames(sung, breath, fps)
    crowd = M.interval_frames(content.get("other_voices", np.zeros((0, 2))), frames, fps)
    answers = M.interval_frames(content.get("backing_answers", np.zeros((0, 2))), frames, fps)
    return KindTruth(sung, away, crowd | answers)


def kind_frames(truth: KindTruth, where: str, vocal_db: np.ndarray) -> np.ndarray:
    """Frames where the kind sounds and the lead is away."""
    if where == "stream":
        return truth.away & (vocal_db > AUDIBLE_DB)
    return truth.away & truth.spans


def score_jaw(jaw: np.ndarray, truth: KindTruth, frames: np.ndarray) -> dict[str, float]:
    jaw = np.asarray(jaw, np.float64)[: len(truth.sung)]
    return {
        "auc": auc(jaw[truth.sung], jaw[truth.away]),
        "closed": float(np.mean(jaw[frames] < JAW_CLOSED)) if frames.any() else float("nan"),
        "open_p95": float(np.percentile(jaw[frames], 95)) if frames.any() else float("nan"),
        "kind_frames": int(frames.sum()),
    }
