"""Face model speed: vertices() frames/s at T=7200, cache load vs a cold Anny build,
and how linear Anny's facial actions are. Prints figures; asserts nothing."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np

from core.face.anny_head import build_anny_head, extract_head_arrays, linearity_error
from core.face.model import FaceModel

FRAMES = 7200  # four minutes at 30 fps


def best_of(repeats: int, function) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def fresh_process_seconds(code: str) -> float:
    """Wall time of a new Python process running `code` (imports included)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    FaceModel.load()  # make sure the cache exists before timing its load
    load_seconds = best_of(5, FaceModel.load)
    empty = fresh_process_seconds("import numpy")
    from_cache = fresh_process_seconds("from core.face.model import FaceModel; FaceModel.load()")
    cold = fresh_process_seconds(
        "from core.face.anny_head import extract_head_arrays; extract_head_arrays()"
    )
    print(f"cache load in a warm process: {load_seconds * 1000:.1f} ms")
    print(
        f"new process, FaceModel.load() from the cache: {from_cache:.2f} s; "
        f"cold build from Anny: {cold:.2f} s (a bare `import numpy` process: {empty:.2f} s; "
        "the very first Anny build on a machine also fills ~/.cache/anny, about a minute)"
    )
    model = build_anny_head()
    face = FaceModel.from_arrays(extract_head_arrays(model))

    rng = np.random.default_rng(0)
    expression = rng.random((FRAMES, 52)).astype(np.float32)
    pose = (rng.standard_normal((FRAMES, 6)) * [0.2, 0.2, 0.2, 0.01, 0.01, 0.01]).astype(np.float32)
    face.vertices(expression[:100], pose[:100])  # warm up
    for label, args in (
        ("expression + pose", (expression, pose)),
        ("expression only", (expression,)),
    ):
        seconds = best_of(3, lambda args=args: face.vertices(*args))
        print(
            f"vertices() {label}: T={FRAMES} in {seconds:.3f} s = {FRAMES / seconds:,.0f} frames/s "
            f"({face.n_vertices} vertices, float32, numpy on the CPU)"
        )
    error = linearity_error(model, n=32)
    print(
        f"linearity: max |Anny forward - (neutral + sum of deltas)| over 32 random "
        f"expressions in [0, 1]^52 = {error:.2e} m"
    )


if __name__ == "__main__":
    main()
