"""What the headless runs (batch script, preview render) share: opening the user's .blend,
and ending in one line and the right exit code.

Exit codes are the engine's (core/errors.py): 0 ok, 2 bad input, 3 missing model or
engine, 1 anything else. A user never sees a traceback unless they ask (--debug).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

import bpy

from .core_link import BadInput, MusicFaceError

PROG = "musicface"


def fail(message: str, code: int) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)
    return code


def run_job(job: Callable[[], int], debug: bool = False) -> int:
    """Run `job`; whatever it raises becomes one line on stderr and its exit code."""
    try:
        return job()
    except MusicFaceError as err:
        return fail(str(err), err.exit_code)
    except KeyboardInterrupt:
        return fail("cancelled", 130)
    except Exception as err:  # noqa: BLE001 - the last line of defence for users
        if debug:
            traceback.print_exc()
        detail = "" if debug else " (run with --debug for details)"
        return fail(f"internal error: {type(err).__name__}: {err}{detail}", 1)


def blender_error(err: Exception) -> str:
    """The first line of a Blender operator's error, without its 'Error: ' prefix."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    first = lines[0] if lines else type(err).__name__
    return first.removeprefix("Error:").strip()


def open_blend(path: Path) -> None:
    """Open the user's .blend; one that is missing or unreadable is bad input."""
    if not path.is_file():
        raise BadInput(f"blend file not found: {path}")
    try:
        bpy.ops.wm.open_mainfile(filepath=str(path.resolve()))
    except RuntimeError as err:
        raise BadInput(f"cannot open {path}: {blender_error(err)}") from err


def exit_now(code: int) -> None:
    """Exit with `code`. Under the bpy module, skip Blender's shutdown: bpy 4.2 can crash
    and 4.5 can hang there, after all the work is saved. Blender itself exits normally."""
    if bpy.app.binary_path:
        sys.exit(code)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
