"""Vocal / accompaniment separation: step 1 of the MusicFace method.

`separate(song, backend)` returns `Stems`; see pipeline.py for the backends.
`spleeter_runner.py` is not imported here: it runs inside `.venv-spleeter`.
"""

from core.separation.names import BACKENDS, SEPARATORS
from core.separation.pipeline import choose_backend, run_backend, separate
from core.separation.result import Stems

__all__ = ["BACKENDS", "SEPARATORS", "Stems", "choose_backend", "run_backend", "separate"]
