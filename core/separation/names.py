"""Separator names: what a user may pass as `--separator`, and what may run.

Standard library only: the Blender add-on vendors this file for its menus.
"""

from __future__ import annotations

# What `--separator` accepts; `auto` resolves to spleeter or dsp.
SEPARATORS: tuple[str, ...] = ("auto", "spleeter", "dsp", "none")
# What can actually run: the above, less `auto`, plus the user's own stems
# (`--vocals/--accompaniment`).
STEMS = "stems"
BACKENDS: tuple[str, ...] = (*SEPARATORS, STEMS)
