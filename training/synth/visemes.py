"""The performer's mouth: sung phonemes → visemes → 52 ARKit coefficients.

Coarticulation follows Cohen & Massaro's dominance model: each phoneme pulls
the face toward its target with a weight that is flat inside the phoneme and
decays exponentially outside it; the face is the dominance-weighted mean of the
targets. Lip closures (p b m) and lip-teeth contacts (f v) dominate strongly so
they are always reached; other consonants dominate weakly so they take the lip
shape of their vowels (the rounding of "oo" spreads into "t" in "too").
Silence is a phoneme too — closed mouth, strong dominance — so the mouth rests
between lines.
"""

from __future__ import annotations

import numpy as np

from core.face.arkit import ARKIT_INDEX, ARKIT_NAMES
from training.synth.phonemes import VOWEL_CLASSES, articulation
from training.synth.singer import SungPhone
from training.synth.styles import SingerStyle

_BOTH = ("Stretch", "Press", "Smile", "UpperUp", "LowerDown", "Dimple", "Frown")

# Targets for a fully sung vowel or a consonant; vowel jaw openings are scaled
# by loudness and pitch below.
_TARGETS: dict[str, dict[str, float]] = {
    "silence": {},
    "breath": {"jawOpen": 0.08, "mouthLowerDown": 0.05},
    "open": {"jawOpen": 0.62, "mouthLowerDown": 0.3, "mouthUpperUp": 0.15},
    "mid": {"jawOpen": 0.32, "mouthLowerDown": 0.15},
    "front_mid": {"jawOpen": 0.36, "mouthStretch": 0.35, "mouthSmile": 0.15, "mouthLowerDown": 0.2},
    "front_close": {"jawOpen": 0.14, "mouthStretch": 0.6, "mouthSmile": 0.25, "mouthUpperUp": 0.1},
    "round_mid": {"jawOpen": 0.42, "mouthFunnel": 0.55, "mouthPucker": 0.25},
    "round_close": {"jawOpen": 0.16, "mouthPucker": 0.7, "mouthFunnel": 0.4},
    "front_round": {"jawOpen": 0.15, "mouthPucker": 0.55, "mouthFunnel": 0.2, "mouthStretch": 0.1},
    "bilabial": {"jawOpen": 0.06, "mouthClose": 0.06, "mouthPress": 0.35, "mouthRollLower": 0.1},
    "labiodental": {
        "jawOpen": 0.1,
        "mouthRollLower": 0.55,
        "mouthUpperUp": 0.2,
        "mouthShrugLower": 0.2,
    },
    "dental": {"jawOpen": 0.16, "tongueOut": 0.35},
    "alveolar": {"jawOpen": 0.16},
    "sibilant": {"jawOpen": 0.07, "mouthStretch": 0.3, "mouthSmile": 0.1},
    "postalveolar": {"jawOpen": 0.12, "mouthFunnel": 0.45, "mouthPucker": 0.25},
    "palatal": {"jawOpen": 0.1, "mouthStretch": 0.3},
    "rhotic": {"jawOpen": 0.14, "mouthFunnel": 0.3, "mouthPucker": 0.2},
    "labial_glide": {"jawOpen": 0.1, "mouthPucker": 0.75, "mouthFunnel": 0.3},
    "velar": {"jawOpen": 0.2},
}
# (dominance inside the phoneme, decay time constant outside it in seconds)
_DOMINANCE: dict[str, tuple[float, float]] = {
    "silence": (2.0, 0.035),
    "breath": (1.0, 0.04),
    "bilabial": (6.0, 0.03),
    "labiodental": (4.0, 0.03),
    "labial_glide": (1.5, 0.05),
}
_VOWEL_DOMINANCE = (1.0, 0.07)
# Consonants pull the jaw toward their own (lower) target between two vowels about as
# hard as a vowel holds it: a real singer's jaw closes a little on most syllables (1.2–1.7
# jaw peaks per voiced second in captured faces against 0.9 in the corpus at 0.5).
_CONSONANT_DOMINANCE = (1.0, 0.04)

# How a real face moves against its own voice (captured faces on the dev videos beside this
# corpus's truth; docs/synthetic_corpus.md, "The mouth against real faces"), and what the
# performer takes from it:
# - The lips and jaw move before the sound they make: a mouth opens for a vowel and closes
#   for a /m/ ahead of its acoustic onset. Visual speech leads the voice by 100–300 ms at
#   onsets (Chandrasekaran et al. 2009), animators set lip shapes a frame or two early, and
#   captured jaws lead their own voice's loudness by 130–200 ms; the phones here are placed
#   exactly on the sound, so the face shows each one MOUTH_LEAD_S early.
# - A real jaw opens less: its 95th percentile is 0.14–0.19 in people singing softly or
#   speaking and ~0.46 in exaggerated performers (captured, on the template's scale),
#   against 0.52 in the corpus before. JAW_GAIN scales every target's opening (jaw and the
#   lips' opening with it), and the jaw follows a note's loudness less (LOUDNESS_SHARE): the
#   corpus's jaw had followed its voice's loudness with r 0.74, a captured one 0.1–0.45.
MOUTH_LEAD_S = 0.10
JAW_GAIN = 0.65
LOUDNESS_SHARE = 0.15
_OPENING = ("jawOpen", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft",
            "mouthUpperUpRight")  # fmt: skip


def _vector(target: dict[str, float]) -> np.ndarray:
    out = np.zeros(len(ARKIT_NAMES), np.float32)
    for name, value in target.items():
        if name in ARKIT_INDEX:
            out[ARKIT_INDEX[name]] = value
        elif name[5:] in _BOTH:
            out[ARKIT_INDEX[name + "Left"]] = value
            out[ARKIT_INDEX[name + "Right"]] = value
        else:  # pragma: no cover - a typo in the table above
            raise KeyError(name)
    return out


_VECTORS = {k: _vector(v) for k, v in _TARGETS.items()}


def _segments(
    phones: list[SungPhone],
    breaths: list[tuple[float, float]],
    seconds: float,
    style: SingerStyle,
    low: float,
    high: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Every articulatory target as (start, end, vector, class), silences included."""
    starts, ends, vectors, classes = [], [], [], []
    for p in phones:
        t = p.start
        height = np.clip((p.midi - low) / max(high - low, 1.0), 0.0, 1.0)
        for fraction, klass in articulation(p.name):
            d = (p.end - p.start) * fraction
            v = _VECTORS[klass].copy()
            v[[ARKIT_INDEX[n] for n in _OPENING]] *= JAW_GAIN
            if klass in VOWEL_CLASSES:
                # Louder and higher notes open the jaw wider; the style sets the scale.
                v[ARKIT_INDEX["jawOpen"]] *= style.mouth_scale * (
                    1.0 - LOUDNESS_SHARE + LOUDNESS_SHARE * p.loudness + 0.25 * height
                )
                v[ARKIT_INDEX["mouthSmileLeft"]] += style.smile * 0.5
                v[ARKIT_INDEX["mouthSmileRight"]] += style.smile * 0.5
            starts.append(t)
            ends.append(t + d)
            vectors.append(v)
            classes.append(klass)
            t += d
    for b0, b1 in breaths:
        starts.append(b0)
        ends.append(b1)
        vectors.append(_VECTORS["breath"])
        classes.append("breath")
    # Silence fills every gap between sounds.
    busy = sorted(zip(starts, ends, strict=True))
    cursor = -1.0
    gaps = []
    for s, e in busy:
        if s > cursor + 1e-3:
            gaps.append((cursor, s))
        cursor = max(cursor, e)
    gaps.append((cursor, seconds + 1.0))
    for s, e in gaps:
        starts.append(s)
        ends.append(e)
        vectors.append(_VECTORS["silence"])
        classes.append("silence")
    return np.array(starts), np.array(ends), np.stack(vectors), classes


def mouth(
    phones: list[SungPhone],
    breaths: list[tuple[float, float]],
    times: np.ndarray,
    style: SingerStyle,
    voice_range: tuple[float, float],
) -> np.ndarray:
    """(T, 52) expression at `times` (only the mouth, brows and cheeks; eyes come later);
    the face shows each sound MOUTH_LEAD_S before it is heard."""
    times = np.asarray(times, dtype=np.float64) + MOUTH_LEAD_S
    seconds = float(times[-1]) if len(times) else 0.0
    starts, ends, vectors, classes = _segments(phones, breaths, seconds, style, *voice_range)
    alpha = np.array(
        [
            _DOMINANCE.get(c, _VOWEL_DOMINANCE if c in VOWEL_CLASSES else _CONSONANT_DOMINANCE)[0]
            for c in classes
        ]
    )
    tau = np.array(
        [
            _DOMINANCE.get(c, _VOWEL_DOMINANCE if c in VOWEL_CLASSES else _CONSONANT_DOMINANCE)[1]
            for c in classes
        ]
    )
    t = times[:, None]
    distance = np.maximum(starts[None, :] - t, 0.0) + np.maximum(t - ends[None, :], 0.0)
    dominance = alpha[None, :] * np.exp(-distance / tau[None, :])
    weights = dominance / np.maximum(dominance.sum(axis=1, keepdims=True), 1e-12)
    face = weights @ vectors
    # Lips meet on p/b/m whatever the jaw does: mouthClose cancels the jaw's lip opening.
    bilabial = np.array([c == "bilabial" for c in classes])
    closure = np.clip(weights[:, bilabial].sum(axis=1) * 1.6, 0.0, 1.0)
    jaw = face[:, ARKIT_INDEX["jawOpen"]]
    face[:, ARKIT_INDEX["mouthClose"]] = np.maximum(
        face[:, ARKIT_INDEX["mouthClose"]], closure * jaw
    )
    # Brows lift on high sustained notes for expressive styles.
    vowel = np.array([c in VOWEL_CLASSES for c in classes])
    heights = np.zeros(len(classes))
    k = 0
    for p in phones:
        h = np.clip((p.midi - voice_range[0]) / max(voice_range[1] - voice_range[0], 1.0), 0, 1)
        for _ in articulation(p.name):
            heights[k] = h * p.loudness
            k += 1
    lift = (weights[:, vowel] * heights[vowel][None, :]).sum(axis=1)
    face[:, ARKIT_INDEX["browInnerUp"]] += style.brow * np.clip(lift - 0.3, 0, None) * 1.4
    face[:, ARKIT_INDEX["browOuterUpLeft"]] += style.brow * np.clip(lift - 0.3, 0, None) * 0.8
    face[:, ARKIT_INDEX["browOuterUpRight"]] += style.brow * np.clip(lift - 0.3, 0, None) * 0.8
    return np.clip(face, 0.0, 1.0).astype(np.float32)
