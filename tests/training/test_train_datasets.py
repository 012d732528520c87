"""Training on several datasets at once: weights, subjects, normalisation, errors, resume."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from core.checkpoints import load_checkpoint
from core.cli import build_parser
from core.errors import BadInput
from tests.conftest import SMALL_MODEL, run_train_cli
from tests.training.test_train import make_toy_dataset
from training.dataset import DataSource, MusicFaceDataset, parse_source
from training.train import TrainOptions, train

STREAMS = ("vocals", "accompaniment")


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A: 4 training clips of 12 s (subjects a, b); B: 2 of 6 s (also a, b), louder MFCCs,
    and a test clip (validation is the slow part of a short run: only B has one)."""
    root = tmp_path_factory.mktemp("pair")
    a = make_toy_dataset(root / "A", n_train=4, n_test=0, seconds=12.0, seed=1)
    b = make_toy_dataset(root / "B", n_train=2, n_test=1, seconds=6.0, seed=2)
    for path in (b / "clips").glob("*.npz"):
        with np.load(path) as data:
            arrays = {k: data[k] for k in data.files}
        arrays["vocals_mfcc"] = arrays["vocals_mfcc"] + 5.0
        np.savez(path, **arrays)
    return a, b


def test_subjects_are_concatenated_and_offset(pair: tuple[Path, Path]) -> None:
    a, b = pair
    both = MusicFaceDataset([a, b], "train")
    assert both.subjects == ["a", "b", "B/a", "B/b"]  # a name taken gets its folder's
    assert both.subject_offsets == [0, 2]
    assert len(both) == 6 and len(both.clips_of(0)) == 4 and len(both.clips_of(1)) == 2
    alone = {c.id: c.subject for c in MusicFaceDataset(b, "train").clips}
    for clip in both.clips_of(1):
        assert clip.subject == alone[clip.id] + 2
    assert {c.subject for c in both.clips_of(0)} == {0, 1}
    test_clips = MusicFaceDataset([a, b], "test").clips  # the same offsets in every split
    assert [(c.dataset, c.subject) for c in test_clips] == [
        (1, 2 + MusicFaceDataset(b, "test").clips[0].subject)
    ]


def test_crops_follow_the_dataset_weights(pair: tuple[Path, Path]) -> None:
    a, b = pair
    both = MusicFaceDataset([DataSource(a, 1.0), DataSource(b, 3.0)], "train")
    p = both.clip_probabilities(128)
    from_b = np.array([c.dataset == 1 for c in both.clips])
    assert p.sum() == pytest.approx(1.0) and p[from_b].sum() == pytest.approx(0.75)
    # Within a dataset, by the number of crop starts (all of A's clips are equally long).
    np.testing.assert_allclose(p[~from_b], 0.25 / 4)
    # The batches themselves: B's clips (subjects 2, 3) give about 3 crops in 4.
    rng = np.random.default_rng(0)
    norm = both.normalization()
    subjects = np.concatenate(
        [both.random_batch(rng, 50, 64, STREAMS, norm).subject.numpy() for _ in range(12)]
    )
    assert abs(np.mean(subjects >= 2) - 0.75) < 0.06
    # Equal weights: B, with a fifth of the frames, still gives half the crops.
    even = MusicFaceDataset([a, b], "train").clip_probabilities(128)
    assert even[from_b].sum() == pytest.approx(0.5)
    # One dataset samples as it always did: every crop start equally likely.
    single = MusicFaceDataset(a, "train")
    starts = np.array([c.frames - 127 for c in single.clips], dtype=np.float64)
    np.testing.assert_array_equal(single.clip_probabilities(128), starts / starts.sum())


def test_normalisation_comes_from_every_dataset(pair: tuple[Path, Path]) -> None:
    a, b = pair
    norm = MusicFaceDataset([a, b], "train").normalization()
    clips = [*MusicFaceDataset(a, "train").clips, *MusicFaceDataset(b, "train").clips]
    vocals = np.concatenate([c.mfcc["vocals"] for c in clips]).astype(np.float64)
    np.testing.assert_allclose(norm.mfcc_mean["vocals"], vocals.mean(0), rtol=1e-5, atol=1e-5)
    only_a = MusicFaceDataset(a, "train").normalization()
    assert norm.mfcc_mean["vocals"][0] > only_a.mfcc_mean["vocals"][0] + 0.5  # B's +5 counts


def test_training_on_two_datasets_and_resuming(pair: tuple[Path, Path], tmp_path: Path) -> None:
    a = pair[0]
    b = tmp_path / "B"  # B's training clips without its test clip: no validation, quicker
    shutil.copytree(pair[1], b)
    manifest = json.loads((b / "manifest.json").read_text())
    manifest["clips"] = [c for c in manifest["clips"] if c["split"] == "train"]
    (b / "manifest.json").write_text(json.dumps(manifest))
    values: dict = {
        "data": [DataSource(a), DataSource(b, 0.5)],
        "out": tmp_path / "both.pt",
        "epochs": 1,
        "batch_size": 2,
        "steps_per_epoch": 1,
        "window": 32,
        "plot": False,
        "config": SMALL_MODEL,
    }
    first = train(TrainOptions(**values))
    loaded = load_checkpoint(first.checkpoint)
    assert loaded.model.config.n_subjects == 4
    assert loaded.meta["subjects"] == ["a", "b", "B/a", "B/b"]
    assert loaded.meta["dataset"] == "A+B"
    assert [(d["name"], d["weight"], d["first_subject"]) for d in loaded.meta["datasets"]] == [
        ("A", 1.0, 0),
        ("B", 0.5, 2),
    ]
    expected = MusicFaceDataset([a, b], "train").normalization().to_dict()
    for key, value in loaded.normalization.to_dict().items():
        np.testing.assert_allclose(value.numpy(), expected[key].numpy(), rtol=1e-6)
    # --resume continues the same two-dataset run.
    notes: list[str] = []
    resumed = train(TrainOptions(**{**values, "epochs": 2, "resume": True}), echo=notes.append)
    assert resumed.steps == 2
    assert [json.loads(line)["epoch"] for line in resumed.log.read_text().splitlines()] == [1, 2]
    assert not any(line.startswith("note:") for line in notes)


def test_data_argument_takes_weights() -> None:
    assert parse_source("corpus") == DataSource(Path("corpus"), 1.0)
    assert parse_source("real_set:0.5") == DataSource(Path("real_set"), 0.5)
    assert parse_source("odd:name") == DataSource(Path("odd:name"), 1.0)
    for bad in ("real_set:0", "real_set:-1", "real_set:nan"):
        with pytest.raises(BadInput, match="positive"):
            parse_source(bad)
    parser, _ = build_parser("musicface-train", "training.commands")
    args = parser.parse_args(["train", "--data", "a", "--data", "b:0.5", "--out", "m.pt"])
    assert args.data == ["a", "b:0.5"]


def test_disagreeing_datasets_are_one_line_errors(pair: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = pair
    other = tmp_path / "other"
    make_toy_dataset(other, n_train=1, n_test=0, seconds=6.0)
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["fps"] = 25.0
    (other / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BadInput, match="disagree on fps"):
        MusicFaceDataset([a, other])
    with pytest.raises(BadInput, match="given twice"):
        MusicFaceDataset([DataSource(a), DataSource(a, 0.5)])
    argv = ["train", "--data", str(a), "--data", f"{other}:2", "--out", str(tmp_path / "m.pt")]
    result = run_train_cli(*argv)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"musicface-train: error: datasets disagree on fps: {a} has 30, {other} has 25"
    ]
    # A dataset without training clips cannot take a share of the crops.
    only_test = tmp_path / "only_test"
    make_toy_dataset(only_test, n_train=0, n_test=1, seconds=6.0)
    with pytest.raises(BadInput, match="only_test has no training clips"):
        train(TrainOptions(data=[a, only_test], out=tmp_path / "x.pt", config=SMALL_MODEL))
