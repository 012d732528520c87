"""Lip sync against real faces: the measures, and the benchmark's whole path on a clip."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.face.arkit import ARKIT_INDEX
from tests.conftest import REPO
from training import lipsync as L

DEV_VIDEO = (
    REPO.parent / "shared" / "realdata" / "video" / "aniportrait_Aragaki_drivingpanel_singing.mp4"
)


def test_lags_and_own_voice_and_moving_channels() -> None:
    rng = np.random.default_rng(0)
    theirs = np.convolve(rng.normal(0, 1, 400), np.ones(5) / 5, mode="same")
    ours = np.roll(theirs, 3)  # ours three frames late
    assert L.pearson(theirs, theirs) == pytest.approx(1.0)
    r, lag = L.best_lag(ours, theirs)
    assert r == pytest.approx(1.0, abs=0.02) and lag == pytest.approx(3 / 30)
    assert L.lagged_pearson(ours, theirs, 3) > L.lagged_pearson(ours, theirs, 0)
    assert np.isnan(L.pearson(np.ones(10), theirs[:10]))
    assert L.own_voice("sadtalker_WDA_x") is True and L.own_voice("videoretalking_face1")
    assert L.own_voice("liveportrait_driving_d6") is False and L.own_voice("mine") is None
    face = np.zeros((100, 52), np.float32)
    face[:, ARKIT_INDEX["jawOpen"]] = np.linspace(0, 0.5, 100)
    face[:, ARKIT_INDEX["mouthFunnel"]] = np.linspace(0, 0.2, 100)
    face[:, ARKIT_INDEX["browInnerUp"]] = np.linspace(0, 0.9, 100)  # not a mouth channel
    assert L.moving_channels(face, 2) == [ARKIT_INDEX["jawOpen"], ARKIT_INDEX["mouthFunnel"]]
    scores = L.score("x", face, face * 0.5, face[:, ARKIT_INDEX["jawOpen"]])
    assert scores["r_jaw"] == pytest.approx(1.0) and scores["p95_ratio"] == pytest.approx(0.5)


def test_the_benchmark_scores_a_real_clip_and_skips_without_videos(tmp_path: Path) -> None:
    if not DEV_VIDEO.is_file():
        pytest.skip(f"dev video absent: {DEV_VIDEO}")
    from core.audio import ffmpeg_exe

    videos = tmp_path / "videos"
    videos.mkdir()
    clip = videos / "aniportrait_clip.mp4"  # 4 s of a woman singing, with her sound
    subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-i", str(DEV_VIDEO), "-t", "4",
         "-c:v", "libx264", "-c:a", "aac", str(clip)],
        check=True,
    )  # fmt: skip
    out, report = tmp_path / "out", tmp_path / "r.json"
    script = str(REPO / "benchmarks" / "lipsync_video.py")
    argv = [sys.executable, script, "--videos", str(videos), "--out", str(out)]
    done = subprocess.run([*argv, "--json", str(report)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rows = json.loads(report.read_text())["videos"]
    assert len(rows) == 1 and rows[0]["own_voice"] is True
    assert -1.0 <= rows[0]["r_jaw"] <= 1.0 and rows[0]["p95_theirs"] > 0.0
    assert len(rows[0]["channels"]) == L.TOP_CHANNELS and (out / "aniportrait_clip.png").is_file()
    assert "mean (own voice)" in done.stdout
    absent = subprocess.run(
        [sys.executable, script, "--videos", str(tmp_path / "none")], capture_output=True, text=True
    )
    assert absent.returncode == 0 and "absent" in absent.stdout
