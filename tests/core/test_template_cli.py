"""`musicface build-template`: the command line, its errors and the preview sheet."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from tests.conftest import run_cli


def test_build_template_with_preview(tmp_path: Path) -> None:
    out, preview = tmp_path / "head.blend", tmp_path / "preview.png"
    size = 48
    result = run_cli(
        "--progress", "json", "build-template", "--out", str(out),
        "--preview", str(preview), "--preview-size", str(size),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[-1] == {"done": str(out)}
    assert all("stage" in line for line in lines[:-1]), "Blender's chatter stays off stdout"
    assert out.stat().st_size > 100_000
    sheet = np.asarray(Image.open(preview).convert("RGB"), dtype=np.float32)
    assert sheet.shape == (size + 20, 5 * size, 3)
    tiles = [sheet[20:, i * size : (i + 1) * size] for i in range(5)]
    # The head is lit and in frame: the centre is brighter than the background corner.
    assert tiles[0][size // 2, size // 2].mean() > tiles[0][2, 2].mean() + 20
    # jawOpen, smile, blink and the turn each change the picture.
    for tile in tiles[1:]:
        assert np.abs(tile - tiles[0]).mean() > 0.2


def test_bad_output_names_are_one_line_errors(tmp_path: Path) -> None:
    result = run_cli("build-template", "--out", str(tmp_path / "head.txt"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and ".blend" in result.stderr
    result = run_cli("build-template", "--out", str(tmp_path / "h.blend"), "--preview", "p.jpg")
    assert result.returncode == 2 and ".png" in result.stderr
