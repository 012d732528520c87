"""Vocal / accompaniment separation: step 1 of the MusicFace method.

`separate(song, backend)` returns `Stems`; see pipeline.py for the backends.
`spleeter_runner.py` is not imported here: it runs inside `.venv-spleeter`.
"""

from core.separation.pipeline import BACKENDS, choose_backend, separate
from core.separation.result import Stems

__all__ = ["BACKENDS", "Stems", "choose_backend", "separate"]
