"""The real-song benchmark: truth readers and metrics on small made-up inputs, and the
shipped model on the real-song dev set (skipped where `../shared/realdata` is absent)."""

from __future__ import annotations

import subprocess
import sys
from itertools import product
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO
from training import real_songs as R

FPS = 30.0
SR = 16000
REALDATA = REPO.parent / "shared" / "realdata"


def write_words(path: Path, rows: list[tuple[float, float]]) -> Path:
    lines = ["word_start,word_end,line_end"]
    lines += [f"{a},{b},{'nan' if i % 2 else b}" for i, (a, b) in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_words_are_read_in_seconds_with_nan_line_ends(tmp_path: Path) -> None:
    words = R.read_words(write_words(tmp_path / "a.words.csv", [(1.5, 2.25), (3.0, 3.5)]))
    np.testing.assert_allclose(words, [[1.5, 2.25], [3.0, 3.5]])


def test_a_word_ending_before_it_starts_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="bad word timing"):
        R.read_words(write_words(tmp_path / "b.words.csv", [(2.0, 1.0)]))


def test_word_truth_sung_inside_unsung_far_away_ignored_between() -> None:
    labels = R.truth_from_words(np.array([[1.0, 2.0]]), n_frames=120, fps=FPS)
    t = np.arange(120) / FPS
    assert np.all(labels[(t >= 1.0) & (t < 2.0)] == R.SUNG)
    assert np.all(labels[(t < 0.4 - 1e-9) | (t > 2.6 + 1e-9)] == R.UNSUNG)
    near = ((t >= 0.4 + 1e-9) & (t < 1.0)) | ((t >= 2.0) & (t <= 2.6 - 1e-9))
    assert near.sum() > 0 and np.all(labels[near] == R.IGNORED)


def test_word_truth_handles_unsorted_and_overlapping_words() -> None:
    # A long word that swallows a short one, given last: the gap after the short
    # word's end is still inside the long word.
    words = np.array([[3.0, 3.2], [1.0, 1.2], [2.9, 4.0]])
    labels = R.truth_from_words(words, n_frames=180, fps=FPS)
    t = np.arange(180) / FPS
    assert np.all(labels[(t >= 2.9) & (t < 4.0)] == R.SUNG)
    assert np.all(labels[(t >= 1.0) & (t < 1.2)] == R.SUNG)
    # Between 1.2 and 2.9 only the frames more than 0.6 s from both words are unsung.
    assert np.all(labels[(t > 1.85) & (t < 2.25)] == R.UNSUNG)
    assert np.all(labels[(t > 1.25) & (t < 1.75)] == R.IGNORED)
    assert np.all(labels[t > 4.65] == R.UNSUNG)


def test_frame_rms_of_a_sine_and_of_silence() -> None:
    t = np.arange(3 * SR) / SR
    sine = 0.5 * np.sin(2 * np.pi * 450 * t)
    signal = np.concatenate([sine, np.zeros(SR)])
    rms = R.frame_rms(np.stack([signal, signal], axis=1), SR, n_frames=120, fps=FPS)
    assert rms.shape == (120,)
    np.testing.assert_allclose(rms[5:85], 0.5 / np.sqrt(2), rtol=0.01)
    assert np.all(rms[95:] == 0.0)
    assert rms[0] < rms[5] * 0.8  # half the first window lies before the song


def test_stem_truth_by_level_with_a_margin_and_short_gaps_ignored() -> None:
    rng = np.random.default_rng(0)

    def tone(seconds: float, level_db: float) -> np.ndarray:
        n = int(seconds * SR)
        return 10 ** (level_db / 20) * np.sqrt(2) * np.sin(2 * np.pi * 220 * np.arange(n) / SR)

    parts = [
        tone(1.0, -10),  # sung
        1e-4 * rng.standard_normal(SR),  # −80 dB: unsung
        tone(1.0, -40),  # 30 dB down: in the margin, ignored
        tone(1.0, -10),
        np.zeros(int(0.1 * SR)),  # a 0.1 s stop: too short to count as unsung
        tone(1.0, -10),
    ]
    signal = np.concatenate(parts)
    n = int(len(signal) / SR * FPS)
    labels = R.truth_from_stem(signal, SR, n, FPS)
    t = np.arange(n) / FPS
    assert np.all(labels[(t > 0.1) & (t < 0.9)] == R.SUNG)
    assert np.all(labels[(t > 1.1) & (t < 1.9)] == R.UNSUNG)
    assert np.all(labels[(t > 2.1) & (t < 2.9)] == R.IGNORED)
    assert np.all(labels[(t > 4.0) & (t < 4.1)] != R.UNSUNG)
    assert np.all(labels[(t > 4.2) & (t < 5.0)] == R.SUNG)


def test_auc_matches_counting_every_pair() -> None:
    rng = np.random.default_rng(1)
    pos = np.round(rng.normal(0.6, 0.2, 40), 1)  # rounded: plenty of ties
    neg = np.round(rng.normal(0.4, 0.2, 30), 1)
    pairs = [1.0 if p > q else 0.5 if p == q else 0.0 for p, q in product(pos, neg)]
    assert R.auc(pos, neg) == pytest.approx(np.mean(pairs))
    assert R.auc([2, 3], [0, 1]) == 1.0
    assert R.auc([0, 1], [2, 3]) == 0.0
    assert R.auc([1, 1], [1, 1]) == 0.5
    assert np.isnan(R.auc([], [1.0]))


def test_separation_scores_closed_share_and_ratio() -> None:
    labels = np.array([R.SUNG] * 4 + [R.UNSUNG] * 4 + [R.IGNORED] * 2)
    jaw = np.array([0.6, 0.5, 0.4, 0.5, 0.0, 0.1, 0.2, 0.1, 0.9, 0.9])
    scores = R.separation_scores(jaw, labels)
    assert scores["auc"] == 1.0
    assert scores["closed"] == 0.75  # 0.2 is not closed
    assert scores["ratio"] == pytest.approx(0.5 / 0.1)
    assert (scores["sung_frames"], scores["unsung_frames"]) == (4, 4)
    shut = R.separation_scores(np.where(labels == R.UNSUNG, 1e-5, jaw), labels)
    assert shut["ratio"] == pytest.approx(0.5 / R.RATIO_FLOOR)  # not 0.5 / 1e-5


def test_head_stats_in_degrees_per_named_axis() -> None:
    t = np.arange(300) / FPS
    pose = np.zeros((300, 6))
    pose[:, 2] = np.radians(4.0) * np.sin(2 * np.pi * 0.5 * t)  # yaw, Z, 5 full periods
    stats = R.head_stats(pose, FPS)
    assert stats["yaw_std"] == pytest.approx(4.0 / np.sqrt(2), rel=0.01)
    assert stats["pitch_std"] == 0.0 and stats["roll_std"] == 0.0
    # Mean |d/dt| of A sin(ωt) is 2Aω/π = 4 A f: 8°/s here.
    assert stats["speed"] == pytest.approx(8.0, rel=0.02)


def test_eye_stats_count_blinks_per_second_and_their_length() -> None:
    eye = np.zeros(300)
    for start in (30, 120, 210):
        eye[start : start + 6] = [0.3, 0.8, 1.0, 1.0, 0.8, 0.3]
    eye[250:280] = 1.0  # a 1 s closure is no blink
    stats = R.eye_stats(eye, FPS)
    assert stats["blinks_per_s"] == pytest.approx(0.3)
    assert stats["blink_s"] == pytest.approx(0.2)
    assert stats["closures_per_s"] == pytest.approx(0.1)


def make_realdata(root: Path) -> Path:
    (root / "songs").mkdir(parents=True)
    (root / "songs" / "A.mp3").write_bytes(b"x")
    write_words(root / "songs" / "A.words.csv", [(1.0, 2.0)])
    write_words(root / "songs" / "NoAudio.words.csv", [(1.0, 2.0)])
    for name, files in (("S1", ("mix.wav", "vocals.wav", "accompaniment.wav")), ("S2", ())):
        (root / "stems" / name).mkdir(parents=True)
        for file in files:
            (root / "stems" / name / file).write_bytes(b"x")
    (root / "sung").mkdir()
    (root / "sung" / "solo.wav").write_bytes(b"x")
    (root / "sung" / "notes.txt").write_text("not audio")
    return root


def test_discover_finds_each_kind_with_its_truth(tmp_path: Path) -> None:
    items = R.discover(make_realdata(tmp_path / "realdata"))
    assert [(i.name, i.kind) for i in items] == [("A", "song"), ("S1", "stems"), ("solo", "sung")]
    assert items[0].words is not None and items[0].words.name == "A.words.csv"
    assert items[1].vocals is not None and items[1].vocals.name == "vocals.wav"
    assert items[2].vocals == items[2].mix
    assert [i.name for i in R.discover(tmp_path / "realdata", only="s1")] == ["S1"]


def test_mean_row_skips_missing_and_nan_figures() -> None:
    rows = [{"auc": 0.8, "stems_auc": 1.0}, {"auc": 0.6, "stems_auc": float("nan")}]
    mean = R.mean_row(rows)
    assert mean["auc"] == pytest.approx(0.7)
    assert mean["stems_auc"] == 1.0
    assert "closed" not in mean


def result_of(jaw: list[float], labels: list[int]) -> R.ItemResult:
    jaw_array, label_array = np.asarray(jaw, dtype=np.float64), np.asarray(labels, np.int8)
    model = R.Run("model", jaw_array, np.zeros((len(jaw), 6)), np.zeros(len(jaw)), "dsp")
    scores = R.separation_scores(jaw_array, label_array)
    return R.ItemResult(R.Item("x", "song", Path("x.mp3")), label_array, model, jaw_array, scores)


def test_pooled_closed_weighs_every_unsung_frame_alike() -> None:
    u, s = R.UNSUNG, R.SUNG
    few = result_of([0.5, 0.0], [s, u])  # 1 of 1 unsung frames closed
    many = result_of([0.5, 0.3, 0.3, 0.3, 0.0], [s, u, u, u, u])  # 1 of 4
    assert R.pooled_closed([few, many]) == pytest.approx(2 / 5)
    assert np.isnan(R.pooled_closed([result_of([0.5], [s])]))


def test_plot_shows_truth_jaw_head_and_eyes(tmp_path: Path) -> None:
    n = 90
    labels = np.array([R.UNSUNG] * 30 + [R.SUNG] * 30 + [R.IGNORED] * 30, dtype=np.int8)
    jaw = np.where(labels == R.SUNG, 0.5, 0.05)
    pose, eye = np.zeros((n, 6)), np.zeros(n)
    model = R.Run("model", jaw, pose, eye, "dsp")
    model.scores = {
        **R.separation_scores(jaw, labels),
        **R.head_stats(pose),
        **R.eye_stats(eye),
    }
    item = R.Item("x", "song", tmp_path / "x.mp3")
    result = R.ItemResult(item, labels, model, jaw, R.separation_scores(jaw, labels))
    png = R.plot_item(tmp_path / "out" / "x.png", result)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert result.row()["auc"] == 1.0 and "stems_auc" not in result.row()


def test_benchmark_skips_cleanly_without_the_dev_set(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "real_songs.py"), "--realdata", str(tmp_path)]
        + ["--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "no items" in done.stdout
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "real_songs.py")]
        + ["--realdata", str(tmp_path / "absent")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and "absent" in done.stdout
    assert not (tmp_path / "out").exists()


# --- the dev set ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def dev_set_results(tmp_path_factory: pytest.TempPathFactory) -> list[R.ItemResult]:
    """The shipped model with default settings (separator auto) on every song and
    stems excerpt, mixture in (the true-stems runs are the benchmark's). The
    separation cache is this session's own; MODEL_PATH pins the Spleeter model
    folder to where `auto` finds it by default, should that folder ever follow
    the cache."""
    if not REALDATA.is_dir():
        pytest.skip(f"real-song dev set absent: {REALDATA}")
    from core.checkpoints import load_checkpoint
    from core.separation import spleeter_backend

    items = [i for i in R.discover(REALDATA) if i.kind in ("song", "stems")]
    if not items:
        pytest.skip(f"no songs or stems in {REALDATA}")
    model_root = spleeter_backend.model_root()  # before the cache moves
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MUSICFACE_CACHE", str(tmp_path_factory.mktemp("musicface-cache")))
        patch.setenv("MODEL_PATH", str(model_root))
        checkpoint = load_checkpoint(None)
        return [R.evaluate_item(i, checkpoint, "auto", true_stems=False) for i in items]


def test_dev_set_jaw_follows_the_voice_at_least_as_well_as_loudness(
    dev_set_results: list[R.ItemResult],
) -> None:
    """With the mouth gate (the default): mean AUC 0.980 against loudness 0.992. The
    model alone scores 0.959, the model shipped before it 0.942 (0.970 gated)."""
    model = float(np.mean([r.model.scores["auc"] for r in dev_set_results]))
    loudness = float(np.mean([r.baseline_scores["auc"] for r in dev_set_results]))
    assert model >= loudness - 0.02, f"mean AUC {model:.3f}, loudness baseline {loudness:.3f}"


def test_dev_set_mouth_closed_when_nobody_sings(dev_set_results: list[R.ItemResult]) -> None:
    share = R.pooled_closed(dev_set_results)
    assert share >= 0.95, f"mouth closed in {share:.1%} of unsung frames"


def _dev_mean(results: list[R.ItemResult], key: str) -> float:
    return float(np.mean([r.model.scores[key] for r in results]))


def test_dev_set_head_moves_and_blinks_like_a_singer(dev_set_results: list[R.ItemResult]) -> None:
    """Real singers on video: mean speed 11-40 °/s, blinks 0.15-0.6/s. Measured: 15 °/s
    (the models shipped before: 12 and 5 °/s) and 0.36 blinks/s."""
    speed = _dev_mean(dev_set_results, "speed")
    assert 10.0 <= speed <= 40.0, f"head speed {speed:.1f} °/s"
    blinks = _dev_mean(dev_set_results, "blinks_per_s")
    assert 0.15 <= blinks <= 0.6, f"{blinks:.2f} blinks/s"


def test_dev_set_head_turns_as_far_as_a_singer(dev_set_results: list[R.ItemResult]) -> None:
    """Real singers on video: 2-6° per axis. Measured: 2.5/2.2/2.4° (pitch/roll/yaw);
    the model shipped before 1.5/1.3/1.3°, off rest by ~3° and swinging about it."""
    for axis in R.AXES:
        spread = _dev_mean(dev_set_results, f"{axis}_std")
        assert spread >= 2.0, f"{axis} std {spread:.1f}°"


def test_why_below_loudness_names_the_frames_that_cost_the_rank() -> None:
    sung = np.r_[np.ones(60, np.int8), np.zeros(40, np.int8)]  # 60 sung, 40 unsung
    jaw = np.r_[np.full(45, 0.3), np.zeros(15), np.zeros(40)]
    # The 15 shut sung frames are near silence (gaps between syllables) ...
    level = np.r_[np.full(45, -5.0), np.full(15, -70.0), np.full(40, -90.0)]
    text, parts = R.why_below_loudness(jaw, sung, level)
    assert "near-silent" in text and parts["shut_sung_silent"] == 0.25
    # ... or the lead singing softly, which the gate shuts.
    text, parts = R.why_below_loudness(jaw, sung, np.where(level == -70.0, -38.0, level))
    assert "softly" in text and parts["shut_sung_quiet"] == 0.25
