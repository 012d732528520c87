"""librosa's numba kernels are compiled by one process (`make setup`, or a batch before its
workers start), so Dask workers never compile them side by side: that left a mixed cache
which crashed every later process with a segmentation fault (core/librosa_cache.py)."""

from __future__ import annotations

import pytest

from core import librosa_cache
from core.batch.display import Lines
from core.commands import batch


def test_setup_left_every_kernel_module_cached() -> None:
    # Fails if `make setup` skipped the warm-up, or if the index files are not where
    # `is_warm` looks (then every batch would compile again, and nothing would be checked).
    for module in librosa_cache.MODULES:
        assert librosa_cache.cache_files(module), f"no numba cache for {module}"
    assert librosa_cache.is_warm()


def test_a_module_that_is_not_there_has_no_cache() -> None:
    assert librosa_cache.cache_files("no_such_package.module") == []


def test_batch_compiles_the_kernels_once_when_the_cache_is_cold(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    warmed: list[bool] = []
    monkeypatch.setattr(librosa_cache, "is_warm", lambda: bool(warmed))
    monkeypatch.setattr(librosa_cache, "warm", lambda: warmed.append(True))
    batch._warm_librosa(Lines())
    batch._warm_librosa(Lines())  # the second batch finds the cache built
    assert warmed == [True]
    assert capsys.readouterr().err.count("compiling librosa's numba kernels once") == 1
