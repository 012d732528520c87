"""One reader of manifest.json for training and evaluation: same defaults, same errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import BadInput
from core.face.arkit import ARKIT_NAMES
from training.manifest import read_manifest


def write(root: Path, content: object) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "manifest.json").write_text(json.dumps(content))
    return root


def test_defaults_and_subjects_by_count_or_name(tmp_path: Path) -> None:
    clips = [{"id": "a", "subject": 1}, {"id": "b", "split": "test", "subject": "subject-0"}]
    manifest = read_manifest(write(tmp_path / "d", {"subjects": 2, "clips": clips, "x": 1}))
    assert manifest.fps == 30.0 and manifest.expression_names == list(ARKIT_NAMES)
    assert manifest.subjects == ["subject-0", "subject-1"] and manifest.fields == {"x": 1}
    assert [c["id"] for c in manifest.split("train")] == ["a"]
    assert [manifest.subject_index(c) for c in manifest.clips] == [1, 0]
    with pytest.raises(BadInput, match="out of range"):
        manifest.subject_index({"id": "c", "subject": 2})
    with pytest.raises(BadInput, match="unknown subject"):
        manifest.subject_index({"id": "c", "subject": "nobody"})


@pytest.mark.parametrize("content", ["not json {", "[1, 2]", '{"clips": 3}'])
def test_a_broken_manifest_is_one_clear_error(tmp_path: Path, content: str) -> None:
    (tmp_path / "manifest.json").write_text(content)
    with pytest.raises(BadInput, match="manifest.json"):
        read_manifest(tmp_path)
    with pytest.raises(BadInput, match="not a MusicFace dataset"):
        read_manifest(tmp_path / "elsewhere")
