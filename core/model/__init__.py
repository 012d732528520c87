"""The MusicFace generator network (TSAE, ATM, EGN, PGN, ESGN) and its configuration."""

from core.model.config import VARIANTS, GeneratorConfig
from core.model.generator import MusicFaceGenerator

__all__ = ["VARIANTS", "GeneratorConfig", "MusicFaceGenerator"]
