"""A synthetic singing corpus with exact ground truth (see corpus.py for the layout).

A procedural singer (eSpeak NG lyrics, WORLD-vocoded melody) over a procedural
band, and a procedural performer whose mouth, head and eyes follow the phonemes,
beats and notes that made the audio.
"""

from training.synth.clip import make_clip
from training.synth.corpus import write_corpus

__all__ = ["make_clip", "write_corpus"]
