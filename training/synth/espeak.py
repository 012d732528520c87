"""eSpeak NG for the synthetic corpus: the engine's own binding (core/espeak.py).

The aligner of `musicface align` speaks lyrics through the same library, and core never
imports training, so the binding lives in core; these names stay importable from here.
"""

from core.espeak import Phone, Speaker, Utterance, _timed_phones, speaker

__all__ = ["Phone", "Speaker", "Utterance", "_timed_phones", "speaker"]
