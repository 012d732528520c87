"""Write a synthetic corpus in the DESIGN.md dataset format.

    DIR/manifest.json
    DIR/clips/<id>.npz            features + ground truth (+ extra truth for metrics)
    DIR/clips/<id>_mix.flac       the song (stereo)
    DIR/clips/<id>_vocals.flac    its vocal stem (stereo: lead and backing voices)
    DIR/clips/<id>_accompaniment.flac

The mixture is the sum of its stems, except in clips whose mixture went through
mp3 (the manifest's `mp3_kbps`): there it is that sum after mp3 coding.

Clip i depends only on (seed, i), so the corpus is the same whatever the number
of worker processes, and a bigger corpus with the same seed starts with the
smaller one's clips. The last `test_fraction` of the clips form the test split.

Every clip is made in a fresh child process: eSpeak NG's global state drifts with
each utterance, so a clip is only reproducible when its utterances start from a
clean library. A forkserver (started once, clean, modules preloaded) makes the
children cheap and safe to fork whatever threads the parent runs.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from multiprocessing import get_context
from pathlib import Path

import soundfile as sf

from core.face.arkit import ARKIT_NAMES
from core.features import VIDEO_FPS
from core.progress import ProgressFn, no_progress
from training.manifest import write_clip_arrays, write_clip_audio, write_manifest
from training.synth.clip import Clip, add_separated_features, make_clip
from training.synth.realism import Realism
from training.synth.separator import IN_WORKER, separator_record
from training.synth.styles import STYLES

SOURCE = "synthetic (eSpeak NG + WORLD singer, procedural band, procedural performer)"


def split_of(index: int, songs: int, test_fraction: float) -> str:
    n_test = max(1, int(round(songs * test_fraction))) if songs > 1 else 0
    return "test" if index >= songs - n_test else "train"


def _clip_job(args: tuple[int, int, tuple[float, float], str, Realism | None]) -> Clip | str:
    """The clip, or why it could not be made (one line): a rare draw that the synthesis
    cannot sing must not end an hour-long corpus."""
    try:
        return make_clip(*args)
    except Exception as err:  # noqa: BLE001 - reported and skipped by the caller
        return f"clip {args[1]}: {type(err).__name__}: {err}"


def fresh_clips(
    seed: int,
    indices: Sequence[int],
    seconds_range: tuple[float, float],
    workers: int = 1,
    stems: str = "dsp",
    realism: Realism | None = None,
) -> Iterator[Clip]:
    """Clips made each in a fresh process (reproducible), yielded in `indices` order; one
    that cannot be made is skipped with its reason on stderr.

    `stems` names the separator of the features (separator.py). The cheap ones
    run in the worker; Spleeter runs here, in this process, one clip at a time
    while the workers make the next clips, so its model loads once.
    """
    ctx = get_context("forkserver")
    ctx.set_forkserver_preload(["training.synth.clip"])
    in_worker = stems if stems in IN_WORKER else "clean"
    jobs = [(seed, i, seconds_range, in_worker, realism) for i in indices]
    with ctx.Pool(processes=max(1, workers), maxtasksperchild=1) as pool:
        for clip in pool.imap(_clip_job, jobs):
            if isinstance(clip, str):
                print(f"skipped {clip}", file=sys.stderr, flush=True)
                continue
            yield clip if in_worker == stems else add_separated_features(clip, stems)


def _write_clip(clips_dir: Path, clip: Clip) -> dict[str, object]:
    files = {
        "mixture": f"clips/{clip.id}_mix.flac",
        "vocals": f"clips/{clip.id}_vocals.flac",
        "accompaniment": f"clips/{clip.id}_accompaniment.flac",
    }
    root = clips_dir.parent
    # mp3 decoding can overshoot full scale by a hair: clip what 16 bits cannot hold.
    write_clip_audio(root, files["mixture"], clip.mixture, clip.sr)
    sf.write(root / files["vocals"], clip.vocals, clip.sr, subtype="PCM_16")
    sf.write(root / files["accompaniment"], clip.accompaniment, clip.sr, subtype="PCM_16")
    write_clip_arrays(root, clip.id, clip.arrays)
    return {
        "id": clip.id,
        "subject": clip.subject,
        "seconds": round(clip.seconds, 3),
        **files,
        **clip.info,
    }


def write_corpus(
    out: Path,
    songs: int,
    seed: int,
    workers: int = 1,
    test_fraction: float = 0.1,
    seconds_range: tuple[float, float] = (10.0, 20.0),
    stems: str = "dsp",
    progress: ProgressFn = no_progress,
    realism: Realism | None = None,
) -> Path:
    """Synthesise `songs` clips into `out`; returns the manifest's path.

    `stems` is the separator whose output the features come from (separator.py).
    """
    clips_dir = out / "clips"
    clips_dir.mkdir(parents=True, exist_ok=True)
    entries: list[dict[str, object]] = []
    clips = fresh_clips(seed, range(songs), seconds_range, workers, stems, realism)
    for k, clip in enumerate(clips):
        entries.append(_write_clip(clips_dir, clip))
        progress("synth", (k + 1) / songs)
    for entry in entries:
        # By the clip's own index, so a skipped clip moves no other into the test split.
        entry["split"] = split_of(int(str(entry["id"]).rsplit("_", 1)[1]), songs, test_fraction)
        entry["source"] = SOURCE
    manifest = {
        "fps": VIDEO_FPS,
        "expression_names": list(ARKIT_NAMES),
        "subjects": [s.name for s in STYLES],
        "generator": {
            "stems": stems,
            # A model must be used with the separator it trained on; record which
            # (for Spleeter, the model's identity too).
            **separator_record(stems),
            "realism": asdict(realism or Realism()),
            "seed": seed,
            "songs": songs,
            "test_fraction": test_fraction,
            "seconds_range": list(seconds_range),
        },
        "clips": entries,
    }
    return write_manifest(out, manifest)
