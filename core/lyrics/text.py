"""The user's lyrics file → lines of words (plain text or .lrc), refusing what is not lyrics.

Plain text: one lyric line per line, blank lines ignored. Lyrics pasted from a lyrics
site carry marks that are not sung: a line that is only a bracketed section header
("[Chorus]", "[Verse 2: …]") is skipped, and a repeat mark at a line's end ("(x2)",
"x3", "[2x]"; on a line of its own it repeats the line above) sings the line that many
times, because the aligner needs every line as it is sung. `.lrc`: `[mm:ss.xx] words`
lines (several time tags on a line repeat it); tags such as `[ar: …]` are ignored, and
each line keeps its start time, which the aligner then holds the line to.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from core.errors import BadInput

MAX_BYTES = 1_000_000  # a song's lyrics are a few kilobytes; a megabyte is not lyrics
_LRC_TIME = re.compile(r"\[(\d{1,3}):(\d{1,2}(?:[.:]\d{1,3})?)\]")
_LRC_TAG = re.compile(r"^\[[a-zA-Z#]+:[^\]]*\]$")
# A plain-text line that is only a bracketed section header: "[Chorus]", "[Verse 2: …]".
_SECTION = re.compile(r"^\[[^\[\]]*\]$")
# "(x2)", "[3x]", "x2", "×4", "2x" as the last token of a line: repeat it, 2 to 9 times.
_REPEAT = re.compile(r"\s[(\[]?\s*(?:[x×]\s*([2-9])|([2-9])\s*[x×])\s*[)\]]?$", re.IGNORECASE)
# Characters that end up inside no word: punctuation around words, quotes, brackets.
_STRIP = '"“”„«»‹›()[]{}.,;:!?¡¿…—–-*_/\\|'


@dataclass(frozen=True)
class Line:
    words: tuple[str, ...]
    start: float | None = None  # seconds, from an .lrc time tag


def clean_word(token: str) -> str:
    """A token without the punctuation around it ("¿qué?" → "qué"); inner apostrophes and
    hyphens stay ("l'existence", "embrasse-moi")."""
    return token.strip(_STRIP).strip("'’")


def _decode(data: bytes, name: str) -> str:
    if b"\0" in data:
        raise BadInput(f"{name} is not a text file (it holds binary data)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\n\r\t\f")
    if controls > max(2, len(text) // 100) or text.count("\ufffd") > max(2, len(text) // 100):
        raise BadInput(f"{name} is not a text file (it holds binary data)")
    return text


def _words(text: str) -> tuple[str, ...]:
    return tuple(w for w in (clean_word(t) for t in text.split()) if w)


def parse_lyrics(text: str, lrc: bool) -> list[Line]:
    lines: list[Line] = []
    for raw in text.splitlines():
        raw = raw.strip()
        if not raw:
            continue
        if not lrc:
            repeat = 1
            if m := _REPEAT.search(" " + raw):
                repeat = int(m.group(1) or m.group(2))
                raw = (" " + raw)[: m.start()].strip()
                if not raw and lines:  # a mark on its own line repeats the line above
                    lines.extend([lines[-1]] * (repeat - 1))
                    continue
            if _SECTION.match(raw):
                continue
            words = _words(raw)
            if words:
                lines.extend([Line(words)] * repeat)
            continue
        if _LRC_TAG.match(raw):
            continue  # [ar: artist], [ti: title], [offset: …]
        times: list[float | None] = []
        while m := _LRC_TIME.match(raw):
            times.append(int(m.group(1)) * 60 + float(m.group(2).replace(":", ".")))
            raw = raw[m.end() :].strip()
        words = _words(raw)
        if words:
            lines.extend(Line(words, t) for t in times or [None])
    if lrc:
        # A repeated chorus is one text line with several time tags: sing it at each.
        lines.sort(key=lambda line: float("inf") if line.start is None else line.start)
    return lines


def read_lyrics(path: str | Path) -> list[Line]:
    """The lines of words in the lyrics file `path`; BadInput when it is not lyrics."""
    path = Path(path)
    if not path.exists():
        raise BadInput(f"lyrics file not found: {path}")
    if not path.is_file():
        raise BadInput(f"lyrics must be a text file, and {path} is not a file")
    if path.stat().st_size > MAX_BYTES:
        raise BadInput(f"{path.name} is too large to be lyrics ({path.stat().st_size} bytes)")
    text = _decode(path.read_bytes(), path.name)
    lrc = path.suffix.lower() == ".lrc" or bool(_LRC_TIME.match(text.lstrip("\ufeff \n")))
    lines = parse_lyrics(text, lrc)
    if not lines:
        raise BadInput(f"{path.name} holds no lyrics (no words on any line)")
    return lines
