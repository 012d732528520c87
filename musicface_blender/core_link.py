"""The engine's numpy/stdlib-only modules that the add-on shares, so each idea lives once.

The Performance format and its resampling (core/performance.py), the errors and
their exit codes (core/errors.py), the task and stream names (core/tasks.py,
core/streams.py), the ARKit names and the shape-key name matching (core/face/) and
the separator names (core/separation/names.py) and the live datagram format
(core/live/datagram.py) are defined by the engine. The add-on
never copies them in the repository:

- in a built extension, scripts/build_extension.py vendors those modules under
  `musicface_blender/_vendor/core/` at build time (their `core.` imports made
  relative), so the zip works in any Blender without the engine installed;
- in a repository checkout there is no `_vendor`: `core` is imported directly
  (installed in the interpreter, or found beside this package).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

try:
    from ._vendor.core import errors, performance, streams, tasks
    from ._vendor.core.face import arkit, names, template
    from ._vendor.core.live import datagram  # noqa: F401  (re-exported)
    from ._vendor.core.separation import names as separation_names
except ModuleNotFoundError as missing:
    if "_vendor" not in (missing.name or ""):
        raise
    _repository = Path(__file__).resolve().parents[1]
    if (_repository / "core" / "performance.py").is_file() and str(_repository) not in sys.path:
        try:
            import core  # noqa: F401
        except ModuleNotFoundError:
            sys.path.append(str(_repository))
    import core
    from core import errors, performance, streams, tasks  # type: ignore[no-redef]
    from core.face import arkit, names, template  # type: ignore[no-redef]
    from core.live import datagram  # type: ignore[no-redef]  # noqa: F401  (re-exported)

    def _alone(relative: str) -> ModuleType:
        """An engine module loaded from its file only: core/separation/__init__.py imports
        the separators themselves, which Blender's Python need not have."""
        path = Path(core.__file__).resolve().parent / relative
        spec = importlib.util.spec_from_file_location(f"{__package__}._{path.stem}", path)
        assert spec is not None and spec.loader is not None, path
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    separation_names = _alone("separation/names.py")

Performance = performance.Performance
MusicFaceError = errors.MusicFaceError
BadInput = errors.BadInput
MissingModel = errors.MissingModel
exit_code_of = errors.exit_code_of
kind_of = errors.kind_of
ARKIT_NAMES: tuple[str, ...] = arkit.ARKIT_NAMES
HEAD_OBJECT: str = template.HEAD_OBJECT
PIVOT_OBJECT: str = template.PIVOT_OBJECT
SEPARATORS: tuple[str, ...] = separation_names.SEPARATORS
TASKS: tuple[str, ...] = tasks.TASKS
SEPARATED_STREAMS: tuple[str, ...] = streams.SEPARATED  # vocals, accompaniment


def match_shape_keys(wanted: tuple[str, ...], available: list[str]) -> dict[str, str]:
    """ARKit name → the mesh's shape key that plays it (core/face/names.py's rules)."""
    found = names.match_arkit_names(available).keys
    return {name: found[name] for name in wanted if name in found}
