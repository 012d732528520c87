"""`musicface-train evaluate` end to end: tiny corpus, tiny random checkpoint, real engine."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import run_train_cli
from training.evaluate import COLUMNS, format_table, voice_masks
from training.metrics import SILENCE_MARGIN
from training.synth.corpus import write_corpus


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from core.checkpoints import save_checkpoint
    from core.model.config import GeneratorConfig
    from core.model.generator import MusicFaceGenerator
    from core.model.normalization import Normalization

    root = tmp_path_factory.mktemp("eval")
    data = root / "data"
    write_corpus(data, songs=2, seed=21, test_fraction=0.5, seconds_range=(6.0, 7.0), stems="clean")
    torch.manual_seed(0)
    config = GeneratorConfig(
        n_subjects=4,
        encoder_channels=8,
        feature_dim=16,
        unet_channels=8,
        mlp_hidden=16,
        lstm_hidden=8,
    )
    checkpoint = save_checkpoint(
        root / "random.pt", MusicFaceGenerator(config), Normalization.identity()
    )
    return data, checkpoint


def test_evaluate_command_end_to_end(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    data, checkpoint = tiny
    out = tmp_path / "result.json"
    done = run_train_cli(
        "evaluate",
        "--data",
        str(data),
        "--checkpoint",
        str(checkpoint),
        "--separator",
        "dsp",
        "--json",
        str(out),
        "--markdown",
        str(tmp_path / "table.md"),
    )
    assert done.returncode == 0, done.stderr
    assert "| method |" in done.stdout and "ground truth" in done.stdout
    result = json.loads(out.read_text())
    assert result["clips"] == 1 and result["separator"] == "dsp"
    truth, model, baseline = result["rows"]
    assert model["variant"] == "full"
    # The ground truth scores what it was built to: closed mouth in silence, beats.
    assert truth["closed_in_silence"] >= 0.95
    assert truth["beat_alignment"] > baseline["beat_alignment"]
    assert truth["lmd_mm"] is None  # LMD compares a prediction with the truth
    for key, _, _ in COLUMNS:
        assert model[key] is None or np.isfinite(model[key]), key
    assert model["lmd_mm"] > 0 and model["lve_mm"] >= model["lmd_mm"]
    assert 0.0 <= model["cca_pose"] <= 1.0
    plots = sorted((tmp_path / "result_plots").glob("*.png"))
    assert [p.stem for p in plots] == [result["per_clip"][0]["id"]]
    assert plots[0].stat().st_size > 10_000
    assert (tmp_path / "table.md").read_text().startswith("| method |")


def test_evaluate_reports_user_errors_in_one_line(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    data, checkpoint = tiny
    missing = run_train_cli(
        "evaluate", "--data", str(data), "--checkpoint", str(tmp_path / "no.pt")
    )
    assert missing.returncode == 2 and "checkpoint not found" in missing.stderr
    empty = run_train_cli("evaluate", "--data", str(tmp_path), "--checkpoint", str(checkpoint))
    assert empty.returncode == 2 and "no manifest.json" in empty.stderr
    assert "Traceback" not in missing.stderr + empty.stderr


def test_format_table_marks_missing_figures() -> None:
    table = format_table({"rows": [{"name": "x", "lmd_mm": 1.23456, "closed_in_silence": 0.5}]})
    lines = table.splitlines()
    assert len(lines) == 3 and lines[2].startswith("| x | 1.235 | — |")
    assert "50.0%" in lines[2]


def test_evaluation_separates_as_the_corpus_was_separated(tmp_path: Path) -> None:
    from training.evaluate import corpus_separator
    from training.manifest import read_manifest

    def made_with(generator: object) -> str:
        (tmp_path / "manifest.json").write_text(json.dumps({"clips": [], "generator": generator}))
        return corpus_separator(read_manifest(tmp_path))

    assert made_with({"separator": "spleeter"}) == "spleeter"
    assert made_with({"separator": "none"}) == "none"
    assert made_with({"stems": "dsp", "dsp_version": "2"}) == "dsp"  # before it was recorded
    assert made_with({"separator": "clean"}) == "dsp"  # true stems: no separator to match


def test_silence_is_where_no_voice_sings_and_backing_answers_are_kept_apart() -> None:
    fps, frames = 10.0, 50
    voice = np.zeros(frames)
    voice[:10] = 1  # the lead sings the first second
    content = {
        "voice_activity": voice,
        "backing_answers": np.array([[2.0, 3.0]]),
        "other_voices": np.array([[0.5, 1.5], [4.0, 4.5]]),  # a choir over the lead's end
    }
    silent, answers, others = voice_masks(content, frames, fps)
    assert answers[20:30].all() and answers.sum() == 10
    # Silence keeps the metrics' margin from the lead and from the answer alike.
    margin = int(round(SILENCE_MARGIN * fps))
    assert not silent[: 10 + margin].any() and not silent[20 - margin : 30 + margin].any()
    # Other voices count where the lead is away (with the margin), and are not silence.
    assert others[10 + margin : 15].all() and not others[: 10 + margin].any()
    assert others[40:45].all() and not silent[40 - margin : 45 + margin].any()
    assert silent[15 + margin : 20 - margin].all() and silent[30 + margin : 40 - margin].all()
    # A corpus from before backing vocals has no answers: silence is as it was.
    old_silent, old_answers, old_others = voice_masks({"voice_activity": voice}, frames, fps)
    assert not old_answers.any() and not old_others.any() and old_silent[10 + margin :].all()
