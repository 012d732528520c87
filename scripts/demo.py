"""`make demo`: the example song → out/demo.blend and out/demo.mp4, headless, on a CPU.

1. The song: examples/demo_song.ogg (made by the corpus's synthetic singer; free to ship).
2. The performance: `musicface generate` with the default checkpoint
   (core/assets/default.pt). Without one (a checkout before training), the
   synthetic singer's own ground-truth curves for that very song stand in, and
   the demo says so.
3. The take: the add-on's batch script (musicface_blender/batch.py) writes it onto
   the template head in a copy of the template scene, with the song as sound strip.
4. The video: rendered in a subprocess (Workbench when OpenGL/EGL works, else Cycles
   on the CPU), the song's audio muxed in by Blender's FFmpeg writer.
5. The photoreal pass: `musicface render` with the bundled renderer (a synthetic
   identity, core/assets/photoreal_default.pt) → out/demo_photoreal.mp4, with the song.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SONG = REPO / "examples" / "demo_song.ogg"
CHECKPOINT = REPO / "core" / "assets" / "default.pt"
TEMPLATE = REPO / "blend_templates" / "musicface_head.blend"
DEMO_CLIP = (2026, 36, (12.0, 14.0))  # examples/make_demo_song.py's clip of the synthetic corpus


def run(argv: list[str], what: str) -> None:
    print(f"[demo] {what}", flush=True)
    done = subprocess.run(argv, cwd=REPO, check=False)
    if done.returncode != 0:
        raise SystemExit(f"[demo] failed: {what} (exit code {done.returncode})")


def fallback_song(out: Path) -> Path:
    """A sung-like tone over a beat, for a checkout without examples/demo_song.ogg."""
    import numpy as np

    from core.audio import write_wav

    sr, seconds = 22050, 8.0
    t = np.arange(int(sr * seconds)) / sr
    pitch = 220 * 2 ** (np.floor(t * 2) % 5 / 12)  # a note every half second
    voice = sum(np.sin(2 * np.pi * k * np.cumsum(pitch) / sr) / k for k in (1, 2, 3))
    voice *= 0.25 * (0.5 + 0.5 * np.sin(2 * np.pi * 2 * t) ** 2)
    beat = np.zeros_like(t)
    for start in np.arange(0, seconds, 0.5):
        i = int(start * sr)
        beat[i : i + 2000] += 0.5 * np.exp(-np.arange(len(beat[i : i + 2000])) / 300)
    return write_wav(out, voice + beat, sr)


def reference_performance(out: Path, song: Path) -> Path:
    """The synthetic singer's ground-truth curves for the demo song (no model involved)."""
    import numpy as np

    from core.performance import Performance
    from training.synth.corpus import fresh_clips

    seed, index, seconds = DEMO_CLIP
    (clip,) = fresh_clips(seed, [index], seconds)
    eye_long = clip.arrays["eye_long"]
    return Performance(
        fps=float(clip.arrays["fps"]),
        expression=clip.arrays["expression"],
        pose=clip.arrays["pose"],
        eye_long=eye_long,
        eye_blink=np.where(eye_long > 0, 0, clip.arrays["eye"]),
        beats=clip.arrays["beats"],
        meta={"source": "training.synth ground truth", "song": song.name, "seconds": clip.seconds},
    ).save(out)


def render(blend: Path, video: Path, size: int) -> str:
    """Workbench in its own process first (it aborts without OpenGL), then Cycles."""
    base = [sys.executable, "-m", "musicface_blender.render", str(blend), str(video)]
    for engine in ("workbench", "cycles"):
        print(f"[demo] rendering {video.name} with {engine}…", flush=True)
        done = subprocess.run([*base, "--engine", engine, "--size", str(size)], cwd=REPO,
                              capture_output=True, text=True, check=False)  # fmt: skip
        if done.returncode == 0 and video.is_file():
            return engine
        print(f"[demo] {engine} could not render here (exit code {done.returncode})", flush=True)
    raise SystemExit("[demo] no renderer worked")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "out")
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    song = SONG if SONG.is_file() else fallback_song(out / "demo_song.wav")
    performance = out / "demo_performance.npz"
    if CHECKPOINT.is_file():
        run([sys.executable, "-m", "core.cli", "generate", str(song), "-o", str(performance),
             "--fps", "30"], f"generating the performance of {song.name}")  # fmt: skip
    else:
        print(f"[demo] no default checkpoint ({CHECKPOINT.relative_to(REPO)}): the synthetic "
              "singer's reference curves for the demo song stand in", flush=True)  # fmt: skip
        reference_performance(performance, song)
    blend = out / "demo.blend"
    batch = REPO / "musicface_blender" / "batch.py"
    run([sys.executable, str(batch), "--", "--blend", str(TEMPLATE), "--song", str(song),
         "--performance", str(performance), "--out", str(blend)],
        "writing the take onto the template head")  # fmt: skip
    video = out / "demo.mp4"
    engine = render(blend, video, args.size)
    photoreal = out / "demo_photoreal.mp4"
    run([sys.executable, "-m", "core.cli", "render", str(performance), "-o", str(photoreal),
         "--song", str(song)], "rendering the photoreal pass")  # fmt: skip
    print(f"[demo] done ({engine}):\n  {blend}\n  {video}\n  {photoreal} (photoreal, AI-generated)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
