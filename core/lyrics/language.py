"""Which eSpeak NG voice speaks the lyrics: the user's `--language`, or a guess from the words.

The guess counts each language's commonest short words (articles, pronouns,
prepositions) among the lyrics' words, the way a reader tells French from Spanish at a
glance; lyrics that match none are read as English. Any language eSpeak NG speaks can
be named with `--language` (a code such as `pt`, `nl`, `pl`).
"""

from __future__ import annotations

from core.errors import BadInput
from core.espeak import speaker
from core.lyrics.text import Line

AUTO = "auto"
# The voice each language code is spoken with (others: the code itself).
VOICES = {"en": "en-us"}
_COMMON: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the and you i to a of in my me it is that on your we for be all so oh".split()
    ),
    "es": frozenset("el la los las de que y en un una por con no me mi tu te se lo yo es".split()),
    "fr": frozenset(
        "le la les de des et un une je tu il nous vous que qui pas ne en est du au".split()
    ),
    "de": frozenset("der die das und ich du nicht ist ein eine zu mit mich dich sie wir".split()),
    "it": frozenset("il la di che e un una non mi ti io tu per con sono ho lo gli".split()),
    "pt": frozenset("o a os de que e um uma não eu tu você com para meu minha é do da".split()),
}


def guess_language(lines: list[Line]) -> str:
    words = [w.lower().replace("’", "'") for line in lines for w in line.words]
    parts = [p for w in words for p in w.split("'") if p]
    scores = {code: sum(p in common for p in parts) for code, common in _COMMON.items()}
    best = max(scores, key=lambda code: scores[code])
    return best if scores[best] > 0 else "en"


def resolve_voice(language: str, lines: list[Line]) -> tuple[str, str]:
    """(language code, eSpeak voice); BadInput for a language eSpeak NG does not speak."""
    code = language.strip().lower()
    if code == AUTO:
        code = guess_language(lines)
    voice = VOICES.get(code, code)
    if not code or not speaker().has_voice(voice):
        raise BadInput(
            f"unsupported lyrics language {language!r}: give a language eSpeak NG speaks "
            "(en, es, fr, de, it, pt, …) or auto"
        )
    return code, voice
