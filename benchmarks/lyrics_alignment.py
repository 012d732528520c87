"""How well `musicface align` places words, on the dev songs with hand word timings.

For each song in ../shared/realdata/songs (skipped cleanly when absent): its lyrics as
plain text (one line per `*.lines.csv` row: what a user with the lyrics has) aligned to
the separated vocal stream, against the hand word onsets of `*.words.csv`. Printed per
song and language: mean and median absolute word-onset error and the share of words
within 0.3 s, beside the baseline of spreading each line's words evenly over the line's
true time span (which needs the line timings a user with plain lyrics does not have).
With --visemes, the share of frames inside aligned /p b m/ where generate --lyrics
closes the lips on the template head.

    .venv/bin/python benchmarks/lyrics_alignment.py [--songs DIR] [--visemes]
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.lyrics.alignment import align_song  # noqa: E402

DEFAULT_SONGS = ROOT.parent / "shared" / "realdata" / "songs"
LANGUAGES = {
    "Fantasma_-_Los_Rombos": "es",
    "Yuanan_-_Miedo_-_Yuanan": "es",
    "de_bonne_humeur_-_Le_Nez_Tordu": "fr",
    "Séculaire_feat._Nÿme_-_saru": "fr",
}


def read_truth(song: Path) -> tuple[list[tuple[float, float, str]], np.ndarray]:
    """(line start, line end, text) rows and the (W,) hand word onsets."""
    stem = song.with_suffix("")
    with open(f"{stem}.lines.csv", encoding="utf-8") as f:
        lines = [
            (float(r["start_time"]), float(r["end_time"]), r["lyrics_line"])
            for r in csv.DictReader(f)
        ]
    with open(f"{stem}.words.csv", encoding="utf-8") as f:
        onsets = np.array([float(r["word_start"]) for r in csv.DictReader(f)])
    return lines, onsets


def even_spread(lines: list[tuple[float, float, str]]) -> np.ndarray:
    """Each line's words spread evenly over the line's true span."""
    out = []
    for start, end, text in lines:
        n = len(text.split())
        out += list(start + (end - start) * np.arange(n) / n)
    return np.array(out)


def scores(onsets: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    error = np.abs(onsets - truth)
    return float(error.mean()), float(np.median(error)), float((error <= 0.3).mean())


def pooled_row(name: str, language: str, errors: list[np.ndarray], bases: list[np.ndarray]) -> str:
    """One table row over the words of several songs: ours, then the even spread."""
    e, b = np.concatenate(errors), np.concatenate(bases)
    return (
        f"{name:32} {language:4} {len(e):5d} | {e.mean():5.2f} {np.median(e):6.2f}"
        f" {(e <= 0.3).mean():6.0%} | {b.mean():9.2f} {np.median(b):6.2f}"
        f" {(b <= 0.3).mean():6.0%}"
    )


STRENGTHS = (0.0, 0.25, 0.5, 1.0)
# Own test-only material: songs sung by the corpus's singer over its band
# (training/lyrics_songs.py), never tuned on: (seed, language, rapped, the phrase sung but
# left out of the lyrics, as a backing chant is).
MADE = ((1, "en", False, None), (2, "es", False, None), (3, "fr", True, None),
        (4, "de", False, None), (5, "en", True, None), (6, "it", False, None),
        (7, "es", True, None), (8, "fr", False, None), (9, "en", False, 1),
        (10, "es", False, 2), (11, "fr", True, 1), (12, "de", False, 2))  # fmt: skip


def made_songs(seconds: float) -> None:
    """The same table on songs made here, whose every word onset is known."""
    from core.audio import write_wav
    from training.lyrics_songs import lyrics_song

    print(f"\nsongs made by the project's singer ({seconds:.0f} s each, through the separator)")
    errors, bases = [], []
    for seed, language, rap, unlisted in MADE:
        made = lyrics_song(seed, language, seconds, rap, unlisted=unlisted)
        with tempfile.TemporaryDirectory() as tmp:
            song, text = Path(tmp) / "song.wav", Path(tmp) / "lyrics.txt"
            write_wav(song, made.mix, made.sr)
            text.write_text("\n".join(" ".join(line) for line in made.lines) + "\n")
            alignment = align_song(song, text, language=language)
        truth = np.array([w.start for w in made.words])
        spans = []
        for k, line in enumerate(made.lines):
            own = [w for w in made.words if w.line == k]
            spans.append((own[0].start, own[-1].end, " ".join(line)))
        error = np.abs(np.array([w.start for w in alignment.words]) - truth)
        base = np.abs(even_spread(spans) - truth)
        errors.append(error)
        bases.append(base)
        kind = f"{language}{' rap' if rap else ''}{' +1' if unlisted is not None else ''}"
        print(
            f"{'made seed ' + str(seed):32} {kind:6} {len(truth):3d} | {error.mean():5.2f}"
            f" {np.median(error):6.2f} {(error <= 0.3).mean():6.0%} | {base.mean():9.2f}"
            f" {np.median(base):6.2f} {(base <= 0.3).mean():6.0%} |"
            f" ≤0.15 s {(error <= 0.15).mean():4.0%}"
        )
    groups = {
        "made songs pooled": [True] * len(MADE),
        "  with full lyrics": [u is None for *_, u in MADE],
        "  with a phrase unlisted": [u is not None for *_, u in MADE],
    }
    for name, chosen in groups.items():
        e = np.concatenate([x for x, c in zip(errors, chosen, strict=True) if c])
        b = np.concatenate([x for x, c in zip(bases, chosen, strict=True) if c])
        print(
            f"{name:32} {'':6} {len(e):3d} | {e.mean():5.2f} {np.median(e):6.2f}"
            f" {(e <= 0.3).mean():6.0%} | {b.mean():9.2f} {np.median(b):6.2f}"
            f" {(b <= 0.3).mean():6.0%} | ≤0.15 s {(e <= 0.15).mean():4.0%}"
        )


def bilabial_closure(song: Path, alignment) -> list[float]:  # noqa: ANN001
    """Per strength in STRENGTHS: the share of frames inside aligned /p b m/ (shown
    LEAD_S early, as the face shows them) where the lips are closed on the template head."""
    from core.generate import generate
    from core.lyrics.visemes import LEAD_S, apply_visemes, lips_closed
    from core.phonemes import articulation

    take = generate(song)
    frames = []
    for w in alignment.words:
        for name, a, b in w.phones:
            if articulation(name)[0][1] == "bilabial":
                lo = int(np.ceil((a - LEAD_S) * take.fps))
                hi = max(int(np.floor((b - LEAD_S) * take.fps)), lo)
                frames += [f for f in range(lo, hi + 1) if 0 <= f < take.frames]
    index = np.array(sorted(set(frames)), np.int64)
    out = []
    for strength in STRENGTHS:
        shaped = apply_visemes(take.expression, take.fps, alignment.words, strength)
        out.append(float(lips_closed(shaped)[index].mean()) if len(index) else float("nan"))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=Path, default=DEFAULT_SONGS)
    parser.add_argument("--language", default="auto")
    parser.add_argument(
        "--visemes", action="store_true", help="also measure lip closures at aligned p/b/m"
    )
    parser.add_argument(
        "--lrc",
        action="store_true",
        help="give the aligner each line's true start as an .lrc time tag (as a user with "
        ".lrc lyrics has)",
    )
    parser.add_argument(
        "--made-seconds", type=float, default=25.0, help="length of the songs made here (0: none)"
    )
    args = parser.parse_args()
    songs = sorted(args.songs.glob("*.mp3")) if args.songs.is_dir() else []
    songs = [s for s in songs if s.with_suffix(".words.csv").exists()]
    if args.made_seconds > 0:
        made_songs(args.made_seconds)
    if not songs:
        print(f"no songs with word timings in {args.songs}: nothing to measure")
        return 0
    print(
        f"{'song':32} {'lang':4} {'words':>5} | {'mean':>5} {'median':>6} {'≤0.3s':>6} |"
        f" {'even mean':>9} {'median':>6} {'≤0.3s':>6} | {'s':>4}"
    )
    totals: list[tuple[float, float, float]] = []
    baselines: list[tuple[float, float, float]] = []
    all_errors, all_base = [], []
    languages: list[str] = []
    closures: dict[str, list[float]] = {}
    for song in songs:
        lines, truth = read_truth(song)
        with tempfile.TemporaryDirectory() as tmp:
            if args.lrc:
                text = Path(tmp) / "lyrics.lrc"
                tags = [f"[{int(a // 60):02d}:{a % 60:05.2f}]{t}" for a, _, t in lines]
                text.write_text("\n".join(tags) + "\n", encoding="utf-8")
            else:
                text = Path(tmp) / "lyrics.txt"
                text.write_text("\n".join(t for _, _, t in lines) + "\n", encoding="utf-8")
            started = time.perf_counter()
            alignment = align_song(song, text, language=args.language)
            seconds = time.perf_counter() - started
        if args.visemes:
            closures[song.stem] = bilabial_closure(song, alignment)
        onsets = np.array([w.start for w in alignment.words])
        if len(onsets) != len(truth):
            print(f"{song.stem}: {len(onsets)} aligned words against {len(truth)} in the truth")
            continue
        ours, base = scores(onsets, truth), scores(even_spread(lines), truth)
        totals.append(ours)
        baselines.append(base)
        all_errors.append(np.abs(onsets - truth))
        all_base.append(np.abs(even_spread(lines) - truth))
        language = LANGUAGES.get(song.stem, alignment.language)
        languages.append(language)
        print(
            f"{song.stem[:32]:32} {language:4} {len(truth):5d} | {ours[0]:5.2f} {ours[1]:6.2f}"
            f" {ours[2]:6.0%} | {base[0]:9.2f} {base[1]:6.2f} {base[2]:6.0%} | {seconds:4.0f}"
            f"  (detected {alignment.language})"
        )
    if totals:
        mean = np.mean(totals, axis=0)
        base = np.mean(baselines, axis=0)
        print(
            f"{'mean over songs':32} {'':4} {'':5} | {mean[0]:5.2f} {mean[1]:6.2f} {mean[2]:6.0%} |"
            f" {base[0]:9.2f} {base[1]:6.2f} {base[2]:6.0%}"
        )
        print(pooled_row("all words pooled", "", all_errors, all_base))
        for language in sorted(set(languages)):
            own = [k for k, name in enumerate(languages) if name == language]
            errors, bases = [all_errors[k] for k in own], [all_base[k] for k in own]
            print(pooled_row(f"  words pooled, {language}", language, errors, bases))
    if closures:
        print("\nlips closed at aligned /p b m/ (share of frames), by --lyrics-strength")
        print(f"{'song':32} " + " ".join(f"{s:>6}" for s in STRENGTHS))
        for name, shares in closures.items():
            print(f"{name[:32]:32} " + " ".join(f"{v:6.0%}" for v in shares))
        mean = np.nanmean(list(closures.values()), axis=0)
        print(f"{'mean':32} " + " ".join(f"{v:6.0%}" for v in mean))
    return 0


if __name__ == "__main__":
    sys.exit(main())
