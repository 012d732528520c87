"""MusicFace training: datasets, synthetic corpus, training loops and metrics."""
