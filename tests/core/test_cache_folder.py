"""Every cache (face arrays, separated stems) lives under one folder, chosen one way."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.cache_folder import musicface_cache_root
from core.face.cache import cache_path
from core.separation.cache import default_cache_dir


def test_musicface_cache_wins_then_xdg_then_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MUSICFACE_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert musicface_cache_root() == tmp_path / "xdg" / "musicface"
    # The face cache once ignored XDG_CACHE_HOME; both caches now agree.
    assert cache_path("1.0").parent == default_cache_dir().parent == tmp_path / "xdg" / "musicface"
    monkeypatch.setenv("MUSICFACE_CACHE", str(tmp_path / "mine"))
    assert cache_path("1.0").parent == default_cache_dir().parent == tmp_path / "mine"
    monkeypatch.delenv("MUSICFACE_CACHE")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert musicface_cache_root() == Path.home() / ".cache" / "musicface"
