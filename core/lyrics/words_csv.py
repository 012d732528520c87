"""Aligned words ↔ CSV in the dev set's columns (`word_start,word_end` first, then `word`),
then `line`, `flag` ("interpolated" for a word the aligner could not place) and `phones`
("name:start:end" separated by spaces)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from core.atomic_write import atomic_write
from core.lyrics.align import AlignedWord

COLUMNS = ("word_start", "word_end", "word", "line", "flag", "phones")


def words_csv_text(words: list[AlignedWord]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for w in words:
        phones = " ".join(f"{n}:{a:.3f}:{b:.3f}" for n, a, b in w.phones)
        flag = "interpolated" if w.interpolated else ""
        writer.writerow([f"{w.start:.3f}", f"{w.end:.3f}", w.word, w.line, flag, phones])
    return buffer.getvalue()


def write_words_csv(path: str | Path, words: list[AlignedWord]) -> Path:
    path = Path(path)
    with atomic_write(path) as handle:
        handle.write(words_csv_text(words).encode("utf-8"))
    return path
