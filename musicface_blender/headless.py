"""Leaving a headless run (batch script, preview render) with the right exit code."""

from __future__ import annotations

import os
import sys

import bpy


def exit_now(code: int) -> None:
    """Exit with `code`. Under the bpy module, skip Blender's shutdown: bpy 4.2 can crash
    and 4.5 can hang there, after all the work is saved. Blender itself exits normally."""
    if bpy.app.binary_path:
        sys.exit(code)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
