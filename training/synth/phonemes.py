"""eSpeak NG phoneme names → articulation classes: the engine's table (core/phonemes.py).

The lyrics visemes of `musicface generate --lyrics` read the same classes as the corpus's
performer, so the table lives in core; these names stay importable from here.
"""

from core.phonemes import VOWEL_CLASSES, articulation, base_name, is_vowel

__all__ = ["VOWEL_CLASSES", "articulation", "base_name", "is_vowel"]
