"""`musicface-train prepare`: singing videos → a dataset that training reads.

The videos are 3 s cuts of two real clips in ../shared/realdata (skipped when absent),
plus a copy without sound and a file that is not a video.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.audio import FEATURE_SR, load_audio
from core.checkpoints import load_checkpoint
from core.errors import BadInput
from core.face.arkit import ARKIT_NAMES
from core.features import mfcc_26
from core.separation import dsp, separate
from tests.conftest import REPO, SMALL_MODEL, run_train_cli
from training.dataset import MusicFaceDataset
from training.prepare import TOOL, PrepareOptions, clip_bounds, prepare, split_clips
from training.train import TrainOptions, train

VIDEOS = REPO.parent / "shared" / "realdata" / "video"
SOURCES = {
    "singer_a": "liveportrait_driving_d10.mp4",
    "singer_b": "aniportrait_Aragaki_drivingpanel_singing.mp4",
}


def _ffmpeg(*argv: str) -> None:
    import imageio_ffmpeg

    exe = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run([exe, "-nostdin", "-loglevel", "error", "-y", *argv], check=True)


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two 3 s singing videos (one per singer folder), one without sound, one non-video."""
    if not all((VIDEOS / name).is_file() for name in SOURCES.values()):
        pytest.skip(f"real videos absent: {VIDEOS}")
    root = tmp_path_factory.mktemp("videos")
    made: dict[str, Path] = {}
    for folder, name in SOURCES.items():
        (root / folder).mkdir()
        made[folder] = root / folder / name
        _ffmpeg("-i", str(VIDEOS / name), "-t", "3", "-c:v", "libx264", "-preset", "ultrafast",
                "-c:a", "aac", str(made[folder]))  # fmt: skip
    made["silent"] = root / "silent.mp4"
    _ffmpeg("-i", str(made["singer_a"]), "-an", "-c:v", "copy", str(made["silent"]))
    made["text"] = root / "notes.mp4"
    made["text"].write_text("not a video\n")
    return made


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> pytest.MonkeyPatch:
    """The separation cache in a temp folder (the CLI children inherit it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MUSICFACE_CACHE", str(tmp_path_factory.mktemp("musicface-cache")))
        yield patch


@pytest.fixture(scope="module")
def prepared(
    videos: dict[str, Path], cache: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("prepared") / "real_set"
    argv = ["prepare", *(str(videos[k]) for k in ("singer_a", "silent", "singer_b", "text"))]
    argv += ["--out", str(out), "--separator", "dsp", "--subject-per-folder", "--seed", "0"]
    return out, run_train_cli("--progress", "json", *argv)


def test_prepare_writes_the_dataset_format(
    prepared: tuple[Path, subprocess.CompletedProcess[str]], videos: dict[str, Path]
) -> None:
    out, result = prepared
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines[-1] == {"done": str(out / "manifest.json")}
    assert {line.get("stage") for line in lines} >= {"capture", "separate", "prepare"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["fps"] == 30.0 and manifest["expression_names"] == list(ARKIT_NAMES)
    assert manifest["subjects"] == ["singer_a", "singer_b"]  # one per folder, in order
    generator = manifest["generator"]
    assert generator["tool"] == TOOL and generator["separator"] == "dsp"
    assert generator["separator_version"] == f"dsp{dsp.VERSION}"
    clips = manifest["clips"]
    assert [c["subject"] for c in clips] == ["singer_a", "singer_b"]
    assert sorted(c["split"] for c in clips) == ["test", "train"]  # at least one test clip
    for clip in clips:
        assert clip["source"] in (str(videos["singer_a"]), str(videos["singer_b"]))
        assert clip["seconds"] == pytest.approx(3.0, abs=0.05)
        assert clip["tracked"] >= 0.5 and clip["gaps"] == []
    # The unusable files are skipped, each with its reason, in the manifest and on stderr.
    skipped = {Path(s["source"]).name: s["reason"] for s in manifest["skipped"]}
    assert set(skipped) == {"silent.mp4", "notes.mp4"}
    assert "no sound" in skipped["silent.mp4"] and "as a video" in skipped["notes.mp4"]
    assert sum(line.startswith("skipped ") for line in result.stderr.splitlines()) == 2

    entry = next(c for c in clips if c["subject"] == "singer_a")
    with np.load(out / "clips" / f"{entry['id']}.npz", allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    frames = len(arrays["expression"])
    assert frames == 90 and float(arrays["fps"]) == 30.0
    assert arrays["expression"].shape == (frames, 52) and arrays["pose"].shape == (frames, 6)
    eye, eye_long, blink = arrays["eye"], arrays["eye_long"], arrays["eye_blink"]
    assert eye.shape == eye_long.shape == (frames,)
    assert 0.0 <= eye.min() and eye.max() <= 1.0
    np.testing.assert_array_equal(eye, np.where(eye_long > 0, eye_long, blink))
    # The features are the engine's at inference: separate() → 16 kHz mono → mfcc_26.
    video = videos["singer_a"]
    stems = separate(video, "dsp", sr=FEATURE_SR, mono=True)
    np.testing.assert_array_equal(arrays["vocals_mfcc"], mfcc_26(stems.vocals[:, 0])[:300])
    np.testing.assert_array_equal(arrays["accomp_mfcc"], mfcc_26(stems.accompaniment[:, 0])[:300])
    np.testing.assert_array_equal(arrays["mix_mfcc"], mfcc_26(load_audio(video))[:300])
    assert not np.array_equal(arrays["vocals_mfcc"], arrays["mix_mfcc"])
    sound, sr = sf.read(out / entry["mixture"])
    assert sound.shape[1] == 2 and len(sound) / sr == pytest.approx(3.0, abs=0.01)
    # What training reads.
    train_set, test_set = MusicFaceDataset(out, "train"), MusicFaceDataset(out, "test")
    assert len(train_set) == len(test_set) == 1
    assert {c.subject for c in (*train_set.clips, *test_set.clips)} == {0, 1}


def test_prepared_dataset_trains(
    prepared: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    out, result = prepared
    assert result.returncode == 0, result.stderr
    # `musicface-train train --data OUT`'s loop (a small generator keeps it quick).
    options = TrainOptions(
        data=out,
        out=tmp_path / "real.pt",
        epochs=1,
        batch_size=2,
        steps_per_epoch=2,
        window=32,
        plot=False,
        config=SMALL_MODEL,
    )
    trained = train(options)
    assert trained.val_loss is not None and np.isfinite(trained.val_loss)  # the test clip
    loaded = load_checkpoint(trained.checkpoint)
    assert loaded.model.config.n_subjects == 2
    assert loaded.meta["subjects"] == ["singer_a", "singer_b"] and loaded.meta["steps"] == 2


def test_every_video_skipped_is_one_line_exit_2(
    videos: dict[str, Path], cache: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = tmp_path / "none"
    argv = ["prepare", str(videos["silent"]), str(videos["text"]), "--out", str(out)]
    result = run_train_cli(*argv, "--separator", "none")
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("musicface-train")]
    assert len(errors) == 1 and "Traceback" not in result.stderr
    assert errors[0].startswith("musicface-train: error: no usable clips: all 2 videos skipped")
    assert "no sound" in errors[0]
    assert not out.exists() and list(tmp_path.iterdir()) == []  # no half dataset left behind


def test_out_is_never_overwritten_without_force(
    prepared: tuple[Path, subprocess.CompletedProcess[str]],
    videos: dict[str, Path],
    cache: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "keep.txt").write_text("mine")
    video = str(videos["singer_a"])
    with pytest.raises(BadInput, match="not empty"):
        prepare(PrepareOptions(videos=[Path(video)], out=theirs, force=True))
    assert [p.name for p in theirs.iterdir()] == ["keep.txt"]
    assert (theirs / "keep.txt").read_text() == "mine"

    ours = shutil.copytree(prepared[0], tmp_path / "ours")  # a dataset prepare wrote
    with pytest.raises(BadInput, match="--force"):
        prepare(PrepareOptions(videos=[Path(video)], out=ours))
    # With --force it is replaced: one video, cut into two 1.5 s clips.
    argv = ["prepare", video, "--out", str(ours), "--force", "--clip-seconds", "2"]
    replaced = run_train_cli(*argv, "--separator", "dsp", "--subject", "me")
    assert replaced.returncode == 0, replaced.stderr
    manifest = json.loads((ours / "manifest.json").read_text())
    assert manifest["subjects"] == ["me"] and manifest["skipped"] == []
    ids = [c["id"] for c in manifest["clips"]]
    assert ids == ["liveportrait_driving_d10_00", "liveportrait_driving_d10_01"]
    assert sorted(p.name for p in (ours / "clips").glob("*.npz")) == [f"{i}.npz" for i in ids]
    assert [(c["start"], c["end"]) for c in manifest["clips"]] == [(0.0, 1.5), (1.5, 3.0)]
    # The two clips are the whole video cut at 1.5 s: the features exactly (the curves
    # too, but they follow the capture calibration, which others may be re-fitting).
    whole = np.load(prepared[0] / "clips" / "liveportrait_driving_d10.npz")
    parts = [np.load(ours / "clips" / f"{i}.npz") for i in ids]
    for key in ("vocals_mfcc", "accomp_mfcc", "mix_mfcc"):
        np.testing.assert_array_equal(np.concatenate([p[key] for p in parts]), whole[key])
    assert [len(p["mix_mfcc"]) for p in parts][0] == 150
    assert [p["expression"].shape for p in parts] == [(45, 52), (45, 52)]
    assert [p["pose"].shape for p in parts] == [(45, 6), (45, 6)]


def test_clip_bounds_cut_at_tenths_of_a_second() -> None:
    assert clip_bounds(90, 30.0, 20.0) == [(0, 90)]
    bounds = clip_bounds(1009, 30.0, 20.0)  # 33.6 s
    assert bounds == [(0, 504), (504, 1009)]
    assert clip_bounds(1800, 30.0, 20.0) == [(0, 600), (600, 1200), (1200, 1800)]
    assert len(clip_bounds(1801, 30.0, 20.0)) == 4  # 60.03 s: four clips of 15 s
    for a, b in clip_bounds(5000, 30.0, 15.0):
        assert a % 3 == 0 and b - a <= 15 * 30 + 3


def test_test_split_is_seeded_and_never_empty_or_whole() -> None:
    assert split_clips(1, 0.1, 0) == ["train"]
    assert sorted(split_clips(2, 0.1, 0)) == ["test", "train"]
    assert split_clips(5, 0.0, 0) == ["train"] * 5
    assert split_clips(20, 0.2, 3).count("test") == 4
    assert split_clips(20, 0.2, 3) == split_clips(20, 0.2, 3)
    draws = {tuple(split_clips(20, 0.2, seed)) for seed in range(5)}
    assert len(draws) > 1
