"""The engine's numpy/stdlib-only modules that the add-on shares, so each idea lives once.

The Performance format (core/performance.py), the ARKit names and the shape-key
name matching (core/face/) are defined by the engine. The add-on never copies
them in the repository:

- in a built extension, scripts/build_extension.py vendors those modules under
  `musicface_blender/_vendor/core/` at build time (their `core.` imports made
  relative), so the zip works in any Blender without the engine installed;
- in a repository checkout there is no `_vendor`: `core` is imported directly
  (installed in the interpreter, or found beside this package).
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    from ._vendor.core import errors, performance
    from ._vendor.core.face import arkit, names, template
except ModuleNotFoundError as missing:
    if "_vendor" not in (missing.name or ""):
        raise
    _repository = Path(__file__).resolve().parents[1]
    if (_repository / "core" / "performance.py").is_file() and str(_repository) not in sys.path:
        try:
            import core  # noqa: F401
        except ModuleNotFoundError:
            sys.path.append(str(_repository))
    from core import errors, performance  # type: ignore[no-redef]
    from core.face import arkit, names, template  # type: ignore[no-redef]

Performance = performance.Performance
MusicFaceError = errors.MusicFaceError
BadInput = errors.BadInput
ARKIT_NAMES: tuple[str, ...] = arkit.ARKIT_NAMES
HEAD_OBJECT: str = template.HEAD_OBJECT
PIVOT_OBJECT: str = template.PIVOT_OBJECT


def match_shape_keys(wanted: tuple[str, ...], available: list[str]) -> dict[str, str]:
    """ARKit name → the mesh's shape key that plays it (core/face/names.py's rules)."""
    found = names.match_arkit_names(available).keys
    return {name: found[name] for name in wanted if name in found}


def load_performance(path: str | Path, fps: float | None = None):
    """Read and validate a Performance file, resampled to `fps` when given."""
    loaded = Performance.load(path)
    return loaded.resample(fps) if fps is not None else loaded
