"""eSpeak NG phoneme names → articulation classes (visemes).

eSpeak names phonemes with ASCII mnemonics close to Kirshenbaum's ("aI", "@",
"tS", "'oU" with a stress mark). The mouth only needs a handful of classes:
what the lips and jaw do, not the exact sound. A diphthong is two classes in
a row (its glide is what the lips show).
"""

from __future__ import annotations

_STRESS = "'," + "%="
_VOWEL_CLASS = {
    "a": "open",
    "A": "open",
    "&": "open",
    "V": "mid",
    "e": "front_mid",
    "E": "front_mid",
    "@": "mid",
    "3": "mid",
    "i": "front_close",
    "I": "front_close",
    "o": "round_mid",
    "O": "round_mid",
    "0": "round_mid",
    "u": "round_close",
    "U": "round_close",
    "y": "front_round",
    "Y": "front_round",
    "W": "front_round",
    # The rounded front vowels of French and German ("deux", "coeur", "schön"); read as
    # consonants before French was sung, they left the lips unrounded.
    "2": "front_round",
    "9": "front_round",
}
_CONSONANT_CLASS = {
    "p": "bilabial",
    "b": "bilabial",
    "m": "bilabial",
    "B": "bilabial",
    "f": "labiodental",
    "v": "labiodental",
    "T": "dental",
    "D": "dental",
    "S": "postalveolar",
    "Z": "postalveolar",
    "tS": "postalveolar",
    "dZ": "postalveolar",
    "s": "sibilant",
    "z": "sibilant",
    "ts": "sibilant",
    "dz": "sibilant",
    "w": "labial_glide",
    "j": "palatal",
    ";": "palatal",
    "J": "palatal",
    "n^": "palatal",
    "l^": "palatal",
    "r": "rhotic",
    "r/": "rhotic",
    "k": "velar",
    "g": "velar",
    "N": "velar",
    "x": "velar",
    "X": "velar",
    "G": "velar",
    "C": "velar",
    "h": "velar",
    "Q": "velar",
    "?": "velar",
}

VOWEL_CLASSES = frozenset(_VOWEL_CLASS.values())


def base_name(name: str) -> str:
    """The mnemonic without stress marks and length or variant modifiers."""
    core = name.lstrip(_STRESS)
    return core.replace(":", "").replace("#", "").replace(".", "") or name


def is_vowel(name: str) -> bool:
    base = base_name(name)
    return bool(base) and base[0] in _VOWEL_CLASS


def articulation(name: str) -> list[tuple[float, str]]:
    """(fraction of the phoneme's duration, class) for each articulatory target.

    A vowel with several vowel letters (a diphthong such as "aI" or "oU") spends
    60 % on its first quality and glides through the rest.
    """
    base = base_name(name)
    if is_vowel(name):
        qualities = [_VOWEL_CLASS[c] for c in base if c in _VOWEL_CLASS]
        if len(qualities) == 1:
            return [(1.0, qualities[0])]
        rest = 0.4 / (len(qualities) - 1)
        return [(0.6, qualities[0])] + [(rest, q) for q in qualities[1:]]
    for length in (2, 1):
        klass = _CONSONANT_CLASS.get(base[:length])
        if klass is not None:
            return [(1.0, klass)]
    return [(1.0, "alveolar")]  # t, d, n, l, R, * and anything unknown: tongue, not lips
