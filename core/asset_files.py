"""Where the shipped models are, without importing what loads them: `musicface batch`
fingerprints them on a machine that never runs torch (its workers do)."""

from __future__ import annotations

from pathlib import Path

ASSETS = Path(__file__).resolve().parent / "assets"
DEFAULT_CHECKPOINT = ASSETS / "default.pt"
DEFAULT_RENDERER = ASSETS / "photoreal_default.pt"
