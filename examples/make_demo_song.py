"""Re-make `examples/demo_song.ogg`, the short song the project ships for demos.

    .venv/bin/python examples/make_demo_song.py

It is clip 36 of the synthetic corpus seeded 2026 (12–14 s clips): an English
line sung by a synthetic soprano (eSpeak NG lyrics, WORLD vocoder) over a
procedural band at 127 BPM, with a one-bar intro, an instrumental break and an
outro, so the demo shows the mouth resting where there is no voice. Encoded to
Ogg Vorbis with the ffmpeg binary that imageio-ffmpeg ships (bit-exact: no random
Ogg stream serial, so the same code makes the same file).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from core.audio import ffmpeg_exe
from training.synth.corpus import fresh_clips

SEED, INDEX, SECONDS = 2026, 36, (12.0, 14.0)
OUT = Path(__file__).resolve().parent / "demo_song.ogg"


def main() -> int:
    (clip,) = fresh_clips(SEED, [INDEX], SECONDS, stems="clean")  # only the mixture is kept
    pcm = np.ascontiguousarray(clip.mixture, dtype=np.float32)
    argv = [
        ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y",
        "-f", "f32le", "-ar", str(clip.sr), "-ac", "2", "-i", "-",
        "-c:a", "libvorbis", "-q:a", "4",
        "-fflags", "+bitexact", "-flags:a", "+bitexact",
        "-metadata", f"title=MusicFace demo ({clip.id})",
        str(OUT),
    ]  # fmt: skip
    subprocess.run(argv, input=pcm.tobytes(), check=True)
    print(f"wrote {OUT} ({clip.seconds:.1f} s, {clip.info['bpm']} BPM, {clip.info['voice']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
