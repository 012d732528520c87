"""Which songs a batch runs, and the folder each one's outputs go into.

SONGS is a folder (searched, subfolders too, for audio files), a text file listing one
song per line (blank lines and `#` comments skipped, so an .m3u works; relative paths
are taken from the list's folder), or a single audio file. A listed song that is
missing is not an error of the batch: it is one song that fails, with its reason.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from core.errors import BadInput

AUDIO_SUFFIXES = frozenset(
    (".wav", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".aif", ".aiff", ".wma")
)
_UNSAFE = re.compile(r"[^\w.\- ()\[\]+,&']+")


@dataclass(frozen=True)
class Song:
    path: Path  # absolute
    folder: str  # its folder's name under OUT_DIR


def find_songs(source: Path) -> list[Song]:
    """The songs of `source` in a stable order, each with its own folder name."""
    if source.is_dir():
        paths = sorted(
            path.resolve()
            for path in source.rglob("*")
            if path.suffix.lower() in AUDIO_SUFFIXES
            and path.is_file()
            and not any(part.startswith(".") for part in path.relative_to(source).parts)
        )
    elif source.is_file() and source.suffix.lower() in AUDIO_SUFFIXES:
        paths = [source.resolve()]
    elif source.is_file():
        paths = _listed(source)
    else:
        raise BadInput(f"songs not found: {source} (give a folder, a list file or a song)")
    if not paths:
        raise BadInput(f"no songs in {source} (looked for {', '.join(sorted(AUDIO_SUFFIXES))})")
    return _name_folders(list(dict.fromkeys(paths)))


def _listed(listing: Path) -> list[Path]:
    try:
        text = listing.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise BadInput(f"cannot read the song list {listing}: {err}") from err
    paths = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            path = Path(line).expanduser()
            paths.append((path if path.is_absolute() else listing.parent / path).resolve())
    return paths


def _name_folders(paths: list[Path]) -> list[Song]:
    """A song's folder is its file name without the suffix; songs that would share one
    get a short hash of their path added, so a rerun finds the same folder again."""
    stems = [_UNSAFE.sub("_", path.stem).strip(" .") or "song" for path in paths]
    taken: dict[str, int] = {}
    for stem in stems:
        taken[stem.lower()] = taken.get(stem.lower(), 0) + 1
    songs = []
    for path, stem in zip(paths, stems, strict=True):
        if taken[stem.lower()] > 1:
            stem = f"{stem}-{hashlib.sha1(str(path).encode()).hexdigest()[:8]}"
        songs.append(Song(path=path, folder=stem))
    return songs
