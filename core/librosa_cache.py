"""librosa's numba kernels, compiled once by one process before others run side by side.

librosa compiles its `@guvectorize(cache=True)` kernels when a module is imported and
writes each as two cache files (the kernel and its ufunc wrapper) beside its source.
numba writes the pair with two separate renames, so processes compiling at once (a batch's
Dask workers on a fresh install, each importing librosa for the dsp separator) can leave
one process's kernel beside another's wrapper. Every later process then loads the mixed
pair and crashes with a segmentation fault the first time the kernel runs: a CI run died
so in `librosa.beat.beat_track`, and the same is reported upstream (librosa#1998,
numba#10128). Compiling in one process first leaves a complete cache that later processes
only read. `make setup` does it after installing the engine; `musicface batch` does it
before starting its workers when the cache is not there.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

# librosa 0.11's modules with guvectorize kernels, each compiled when it is imported (the
# dsp separator imports librosa.util; the evaluation tracks beats).
MODULES = ("librosa.util.utils", "librosa.beat", "librosa.core.audio", "librosa.core.pitch")


def cache_files(module: str) -> list[Path]:
    """The numba cache index files of `module` (none before its kernels were compiled)."""
    spec = importlib.util.find_spec(module.rpartition(".")[0] or module)
    if spec is None or spec.origin is None:
        return []
    stem = module.rpartition(".")[2]
    return sorted((Path(spec.origin).parent / "__pycache__").glob(f"{stem}.*.nbi"))


def is_warm() -> bool:
    return all(cache_files(module) for module in MODULES)


def warm() -> None:
    """Compile (or load) every kernel in MODULES, then run the beat tracker once: its
    `numba.jit(cache=True)` helpers compile on their first call."""
    import numpy as np

    for module in MODULES:
        importlib.import_module(module)
    import librosa

    noise = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
    librosa.beat.beat_track(y=noise, sr=22050)


if __name__ == "__main__":
    warm()
    print("librosa's numba cache is built" if is_warm() else "librosa's numba cache is missing")
