from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.errors import BadInput
from core.face.arkit import ARKIT_NAMES
from core.performance import Performance


def make(frames: int = 90, fps: float = 30.0, seed: int = 0) -> Performance:
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / fps
    return Performance(
        fps=fps,
        expression=rng.uniform(0, 1, (frames, 52)),
        pose=np.stack([np.sin(t * k) * 0.1 for k in range(1, 7)], axis=1),
        eye_long=np.zeros(frames),
        eye_blink=rng.uniform(0, 1, frames),
        attention=rng.uniform(0, 1, (3, frames, 2)),
        beats=np.array([0.5, 1.0, 1.5]),
        meta={"seed": 7, "song_sha256": "abc"},
    )


def test_save_load_round_trip(tmp_path: Path) -> None:
    perf = make()
    path = perf.save(tmp_path / "perf.npz")
    back = Performance.load(path)
    assert back.names == ARKIT_NAMES and back.fps == 30.0
    assert np.array_equal(back.expression, perf.expression)
    assert np.array_equal(back.pose, perf.pose)
    assert np.array_equal(back.attention, perf.attention)
    assert back.meta == perf.meta and back.seconds == pytest.approx(3.0)
    with np.load(path, allow_pickle=False) as data:  # readable without pickle
        assert data["expression"].dtype == np.float32
    assert not list(tmp_path.glob(".perf-*"))  # no temp file left behind


@pytest.mark.parametrize("fps", [23.976, 24.0, 25.0, 50.0, 60.0])
def test_resample_keeps_duration_and_values(fps: float) -> None:
    perf = make(frames=300)
    out = perf.resample(fps)
    assert out.frames == int(np.ceil(round(10.0 * fps, 6)))
    assert out.fps == fps and out.attention.shape[:2] == (3, out.frames)
    # A sample at the same instant holds the same value.
    assert np.allclose(out.pose[0], perf.pose[0])
    frame = int(fps)  # t = 1 s when fps is an integer
    if fps.is_integer():
        assert np.allclose(out.pose[frame], perf.pose[30], atol=1e-6)
    assert out.resample(30.0).frames == 300


def test_invalid_shapes_are_bad_input() -> None:
    with pytest.raises(BadInput, match="pose"):
        Performance(
            fps=30,
            expression=np.zeros((5, 52)),
            pose=np.zeros((4, 6)),
            eye_long=np.zeros(5),
            eye_blink=np.zeros(5),
        )
    with pytest.raises(BadInput, match="NaN"):
        Performance(
            fps=30,
            expression=np.full((5, 52), np.nan),
            pose=np.zeros((5, 6)),
            eye_long=np.zeros(5),
            eye_blink=np.zeros(5),
        )


def test_loading_a_non_performance_is_bad_input(tmp_path: Path) -> None:
    junk = tmp_path / "junk.npz"
    junk.write_text("not a zip")
    with pytest.raises(BadInput):
        Performance.load(junk)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.zeros(3))
    with pytest.raises(BadInput, match="missing"):
        Performance.load(other)
    pickled = tmp_path / "pickled.npz"
    np.savez(
        pickled,
        **{k: np.zeros(1) for k in ("fps", "names", "expression", "pose", "eye_long", "eye_blink")},
        meta=np.array([{"x": 1}], dtype=object),
    )
    with pytest.raises(BadInput):
        Performance.load(pickled)
