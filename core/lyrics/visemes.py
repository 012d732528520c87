"""Aligned phones → ARKit mouth shapes, blended into a take's lower face (`--lyrics`).

Each phone's articulation class (core/phonemes.py) has a target shape: bilabials
(p b m) shut the lips (mouthClose with the jaw low, mouthPress), labiodentals (f v)
bring the lower lip to the teeth (mouthRollLower), rounded vowels funnel and pucker,
open vowels drop the jaw, spread vowels stretch and smile. Shapes coarticulate as in
Cohen & Massaro's dominance model (as the synthetic performer's mouth does): lip
closures dominate strongly so they are always reached, other consonants take the
shape of their vowels.

The blend: where words are sung, the lips' shape channels move towards the phones'
shapes by `strength`; the jaw keeps the model's opening (its loudness and style) but
is scaled by how open each phone is, and closes fully on bilabials at strength 1.
Outside words nothing changes, so the mouth gate's rests stay rests.
"""

from __future__ import annotations

import numpy as np

from core.face.arkit import ARKIT_INDEX, ARKIT_NAMES, LOWER_FACE
from core.lyrics.align import AlignedWord
from core.phonemes import VOWEL_CLASSES, articulation

DEFAULT_STRENGTH = 0.5
CLOSURE_FULL_AT = 0.5  # from this strength on, every aligned p/b/m shuts the lips
LEAD_S = 0.08  # the lips shape a sound before it is heard (captured faces lead by 0.1–0.2 s)
FADE_S = 0.12  # the blend fades in and out over this around each word
_SIDES = ("Stretch", "Press", "Smile", "UpperUp", "LowerDown", "RollLower", "Frown")

# Mouth shape of each articulation class; jawOpen is how open the phone is (1: the
# widest vowel), scaled onto the model's own opening by the blend.
VISEMES: dict[str, dict[str, float]] = {
    "open": {"jawOpen": 1.0, "mouthLowerDown": 0.3, "mouthUpperUp": 0.15},
    "mid": {"jawOpen": 0.6, "mouthLowerDown": 0.15},
    "front_mid": {"jawOpen": 0.6, "mouthStretch": 0.35, "mouthSmile": 0.15},
    "front_close": {"jawOpen": 0.3, "mouthStretch": 0.55, "mouthSmile": 0.25},
    "round_mid": {"jawOpen": 0.6, "mouthFunnel": 0.55, "mouthPucker": 0.3},
    "round_close": {"jawOpen": 0.3, "mouthPucker": 0.75, "mouthFunnel": 0.45},
    "front_round": {"jawOpen": 0.3, "mouthPucker": 0.6, "mouthFunnel": 0.25},
    "bilabial": {"jawOpen": 0.05, "mouthClose": 1.0, "mouthPress": 0.45},
    "labiodental": {"jawOpen": 0.15, "mouthRollLower": 0.6, "mouthUpperUp": 0.2},
    "dental": {"jawOpen": 0.25, "tongueOut": 0.3},
    "alveolar": {"jawOpen": 0.3},
    "sibilant": {"jawOpen": 0.12, "mouthStretch": 0.3, "mouthSmile": 0.1},
    "postalveolar": {"jawOpen": 0.2, "mouthFunnel": 0.45, "mouthPucker": 0.25},
    "palatal": {"jawOpen": 0.2, "mouthStretch": 0.3},
    "rhotic": {"jawOpen": 0.25, "mouthFunnel": 0.3, "mouthPucker": 0.2},
    "labial_glide": {"jawOpen": 0.15, "mouthPucker": 0.75, "mouthFunnel": 0.3},
    "velar": {"jawOpen": 0.35},
    "rest": {"jawOpen": 0.0},
}
# (dominance inside the phone, decay time constant outside it in seconds)
_DOMINANCE = {
    "bilabial": (6.0, 0.03),
    "labiodental": (4.0, 0.03),
    "labial_glide": (1.5, 0.05),
    "rest": (1.0, 0.04),
}
_VOWEL_DOMINANCE = (1.0, 0.07)
_CONSONANT_DOMINANCE = (0.6, 0.04)
JAW = ARKIT_INDEX["jawOpen"]
CLOSE = ARKIT_INDEX["mouthClose"]
# The lip channels the phones shape (the lower face but the jaw itself).
_SHAPE = np.array([i for i in LOWER_FACE if i != JAW])


def _vector(target: dict[str, float]) -> np.ndarray:
    out = np.zeros(len(ARKIT_NAMES), np.float32)
    for name, value in target.items():
        if name in ARKIT_INDEX:
            out[ARKIT_INDEX[name]] = value
        else:
            out[ARKIT_INDEX[name + "Left"]] = value
            out[ARKIT_INDEX[name + "Right"]] = value
    return out


VECTORS = {k: _vector(v) for k, v in VISEMES.items()}


def _segments(words: list[AlignedWord]) -> tuple[np.ndarray, list[str]]:
    """(S, 2) start and end, and the class, of every articulatory target; rests fill the
    gaps between words."""
    spans, classes = [], []
    cursor = -10.0
    for w in words:
        if w.start > cursor + 1e-3:
            spans.append((cursor, w.start))
            classes.append("rest")
        for name, a, b in w.phones:
            t = a
            for fraction, klass in articulation(name):
                spans.append((t, t + (b - a) * fraction))
                classes.append(klass)
                t += (b - a) * fraction
        cursor = max(cursor, w.end)
    spans.append((cursor, cursor + 1e6))
    classes.append("rest")
    return np.array(spans, np.float64), classes


def phone_shapes(words: list[AlignedWord], times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, 52) the phones' mouth shapes at `times` (seconds) and (T,) their lip-closure
    weight (1 where a bilabial dominates)."""
    spans, classes = _segments([w for w in words if w.phones])
    params = [
        _DOMINANCE.get(c, _VOWEL_DOMINANCE if c in VOWEL_CLASSES else _CONSONANT_DOMINANCE)
        for c in classes
    ]
    alpha = np.array([p[0] for p in params])
    tau = np.array([p[1] for p in params])
    vectors = np.stack([VECTORS[c] for c in classes])
    t = np.asarray(times, np.float64)[:, None] + LEAD_S
    distance = np.maximum(spans[None, :, 0] - t, 0.0) + np.maximum(t - spans[None, :, 1], 0.0)
    dominance = alpha[None, :] * np.exp(-distance / tau[None, :])
    weights = dominance / np.maximum(dominance.sum(axis=1, keepdims=True), 1e-12)
    bilabial = np.array([c == "bilabial" for c in classes])
    closure = np.clip(weights[:, bilabial].sum(axis=1) * 1.6, 0.0, 1.0)
    return (weights @ vectors).astype(np.float32), closure.astype(np.float32)


def sung_weight(words: list[AlignedWord], times: np.ndarray) -> np.ndarray:
    """(T,) 1 inside words (shifted by LEAD_S), fading to 0 over FADE_S outside them."""
    t = np.asarray(times, np.float64) + LEAD_S
    out = np.zeros(len(t))
    for w in words:
        if w.interpolated:
            continue
        inside = np.clip(1.0 - np.maximum(w.start - t, t - w.end) / FADE_S, 0.0, 1.0)
        out = np.maximum(out, inside)
    return out.astype(np.float32)


def apply_visemes(
    expression: np.ndarray, fps: float, words: list[AlignedWord], strength: float
) -> np.ndarray:
    """The take's (T, 52) expression with the phones' mouth shapes blended in."""
    out = np.array(expression, np.float32, copy=True)
    if strength <= 0 or not words:
        return out
    times = np.arange(len(out)) / fps
    shapes, closure = phone_shapes(words, times)
    blend = (float(min(strength, 1.0)) * sung_weight(words, times))[:, None]
    jaw = out[:, JAW].copy()
    # The lips' shapes: towards the phones' own.
    out[:, _SHAPE] = (1.0 - blend) * out[:, _SHAPE] + blend * shapes[:, _SHAPE]
    # The jaw: the model's opening (loudness, style), scaled by how open the phone is;
    # where the model hardly opens, the phones' openness at a singer's typical jaw.
    b = blend[:, 0]
    typical = max(float(np.percentile(jaw, 90)), 0.15)
    opened = np.maximum(jaw, 0.5 * typical) * shapes[:, JAW] / 0.6
    out[:, JAW] = (1.0 - b) * jaw + b * np.clip(opened, 0.0, 1.0)
    # Lips meet on p/b/m whatever the jaw does (mouthClose cancels the lips' opening): the
    # closures' timing is the phones', fully from CLOSURE_FULL_AT on.
    shut = closure * sung_weight(words, times) * min(1.0, strength / CLOSURE_FULL_AT)
    out[:, JAW] *= 1.0 - shut * (1.0 - VISEMES["bilabial"]["jawOpen"])
    out[:, CLOSE] = np.maximum(out[:, CLOSE], shut * out[:, JAW])
    return np.clip(out, 0.0, 1.0)


def lips_closed(expression: np.ndarray, gap: float = 0.05) -> np.ndarray:
    """(T,) bool: the lips touch on the template head (jaw nearly shut, or mouthClose
    cancelling most of the jaw's opening)."""
    jaw = expression[:, JAW]
    return (jaw - expression[:, CLOSE]) <= gap
