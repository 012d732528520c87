"""Spleeter 2-stems driver, run by the `.venv-spleeter` interpreter (never imported by core).

Spleeter pins TensorFlow 2.12 and numpy < 1.24, so it lives in its own environment
and the engine runs this file as a subprocess. It must therefore import nothing
from `core` (no torch, an older numpy there). Audio travels as float32 `.npy` files
of shape (N, 2) at 44.1 kHz; progress and errors travel as JSON lines on stdout.

Spleeter's own `Separator` holds the whole song (about 6 GB for 4 minutes), so we
build its estimator graph once (`EstimatorSpecBuilder`, the same model function the
released model was trained with) and feed it chunks of a few tens of seconds that
overlap and are crossfaded. Peak memory then no longer grows with song length.

Commands:
  separate     --model-dir DIR --mix MIX.npy --vocals V.npy --accompaniment A.npy
  init-random  --model-dir DIR [--seed N]   (a 2-stems checkpoint with random weights)
  convert      --model-dir DIR --out FILE.npz [--identity ID]
               (the checkpoint's variables as plain float32 arrays, for the PyTorch
               implementation in core/separation/spleeter_torch.py)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

# TensorFlow's C++ start-up chatter would drown the JSON protocol's stderr tail.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

EXIT_MISSING_MODEL = 3
CONFIG = "spleeter:2stems"
# A chunk spans exactly 2 of the model's 512-frame segments (frame step 1024, less
# the 4096 zeros Spleeter prepends), so no compute is spent on segment padding.
# Two segments (23.7 s) keep TensorFlow near 1.3 GB; three cost 1.45 GB, one wastes
# a fifth of the time on overlaps.
SEGMENT_SAMPLES = 512 * 1024
CHUNK_SAMPLES = 2 * SEGMENT_SAMPLES - 4096
OVERLAP_SAMPLES = 2 * 44100


def emit(message: dict[str, Any]) -> None:
    print(json.dumps(message), flush=True)


def fail_missing_model(message: str) -> None:
    emit({"error": message, "kind": "missing_model"})
    sys.exit(EXIT_MISSING_MODEL)


def has_checkpoint(model_dir: Path) -> bool:
    return (model_dir / "checkpoint").is_file()


def ensure_model(model_dir: Path) -> None:
    """Use the model at `model_dir`, or let Spleeter download it there.

    Spleeter's provider creates the folder before downloading and leaves it empty
    when the download fails; a later run then finds the folder, skips the download
    and crashes on a missing checkpoint. So an empty folder is removed again.
    """
    if has_checkpoint(model_dir):
        return
    if model_dir.is_dir() and not any(model_dir.iterdir()):
        model_dir.rmdir()  # left by an earlier failed download
    if model_dir.exists():
        fail_missing_model(
            f"Spleeter model folder {model_dir} has no 'checkpoint' file; "
            "replace it with the released 2stems files or remove it"
        )
    from spleeter.model.provider import ModelProvider

    try:
        ModelProvider.default().get(str(model_dir))
    except Exception as error:  # noqa: BLE001 - any download failure means no model
        if model_dir.is_dir() and not any(model_dir.iterdir()):
            model_dir.rmdir()
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        fail_missing_model(
            f"Spleeter 2stems model not in {model_dir} and the download failed ({reason}); "
            "put the released 2stems files there, set MODEL_PATH, or use --separator dsp"
        )
    if not has_checkpoint(model_dir):
        fail_missing_model(f"Spleeter download to {model_dir} gave no checkpoint")


def build_graph(params: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The predict graph of Spleeter's estimator: waveform placeholder → stem waveforms."""
    from spleeter.model import EstimatorSpecBuilder, InputProviderFactory

    features = InputProviderFactory.get(params).get_input_dict_placeholders()
    builder = EstimatorSpecBuilder(features, params)
    outputs = {name: builder.outputs[name] for name in params["instrument_list"]}
    return features["waveform"], outputs


class NpyChunks:
    """Reads rows [start, stop) of a float32 (N, 2) `.npy` with plain file reads.

    A memory map would be simpler, but every page it touches counts as resident
    memory, which for a 10-minute song is 200 MB per file.
    """

    def __init__(self, path: str) -> None:
        import numpy as np

        self._file = open(path, "rb")
        version = np.lib.format.read_magic(self._file)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(self._file)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(self._file)
        if len(shape) != 2 or shape[1] != 2 or fortran or dtype != np.dtype("<f4"):
            raise ValueError(f"mixture must be float32 (N, 2), got {dtype} {shape}")
        self.rows = shape[0]
        self._offset = self._file.tell()

    def read(self, start: int, stop: int) -> Any:
        import numpy as np

        stop = min(stop, self.rows)
        self._file.seek(self._offset + start * 8)
        return np.fromfile(self._file, dtype="<f4", count=(stop - start) * 2).reshape(-1, 2)

    def close(self) -> None:
        self._file.close()


class CrossfadeWriter:
    """Writes overlapping chunks to a float32 (N, 2) `.npy` in order.

    Each chunk's last `overlap` rows are held back and blended linearly with the
    next chunk's first rows, so only one overlap is ever in memory.
    """

    def __init__(self, path: str, rows: int, overlap: int) -> None:
        import numpy as np

        self._file = open(path, "wb")
        header = {"descr": "<f4", "fortran_order": False, "shape": (rows, 2)}
        np.lib.format.write_array_header_1_0(self._file, header)
        self._overlap = overlap
        self._tail: Any = None

    def add(self, chunk: Any, last: bool) -> None:
        import numpy as np

        chunk = np.asarray(chunk, dtype="<f4")
        if self._tail is not None:
            n = len(self._tail)
            ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)[:, None]
            chunk = chunk.copy()
            chunk[:n] = self._tail * (1.0 - ramp) + chunk[:n] * ramp
        keep = 0 if last else self._overlap
        self._file.write(chunk[: len(chunk) - keep].tobytes())
        self._tail = chunk[len(chunk) - keep :] if keep else None

    def close(self) -> None:
        self._file.close()


def chunk_starts(rows: int, chunk: int, overlap: int) -> list[int]:
    """Starts of chunks covering [0, rows), consecutive ones sharing `overlap` rows."""
    return list(range(0, max(rows - overlap, 1), chunk - overlap))


def separate(args: argparse.Namespace) -> None:
    model_dir = Path(args.model_dir).resolve()
    ensure_model(model_dir)

    import tensorflow as tf
    from spleeter.utils.configuration import load_configuration

    tf.get_logger().setLevel("ERROR")
    mix = NpyChunks(args.mix)
    chunk, overlap = args.chunk_samples, args.overlap_samples
    starts = chunk_starts(mix.rows, chunk, overlap)
    writers = {
        "vocals": CrossfadeWriter(args.vocals, mix.rows, overlap),
        "accompaniment": CrossfadeWriter(args.accompaniment, mix.rows, overlap),
    }
    params = load_configuration(CONFIG)
    params["model_dir"] = str(model_dir)
    params["MWF"] = False
    graph = tf.Graph()
    with graph.as_default():
        waveform, outputs = build_graph(params)
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session(graph=graph) as session:
            saver.restore(session, tf.train.latest_checkpoint(str(model_dir)))
            emit({"progress": 0.0})
            for index, start in enumerate(starts):
                piece = mix.read(start, start + chunk)
                result = session.run(outputs, feed_dict={waveform: piece})
                last = index == len(starts) - 1
                for name, writer in writers.items():
                    writer.add(result[name][: len(piece)], last)
                emit({"progress": (index + 1) / len(starts)})
    mix.close()
    for writer in writers.values():
        writer.close()
    emit({"done": True, "chunks": len(starts)})


def init_random(args: argparse.Namespace) -> None:
    """Save a 2-stems checkpoint whose weights are random but whose variables are the
    released model's (148 U-Net variables + global_step = 149), so the released
    files are a drop-in replacement."""
    import tensorflow as tf
    from spleeter.model.provider import ModelProvider
    from spleeter.utils.configuration import load_configuration

    tf.get_logger().setLevel("ERROR")

    model_dir = Path(args.model_dir).resolve()
    model_dir.mkdir(parents=True, exist_ok=True)
    params = load_configuration(CONFIG)
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.set_random_seed(args.seed)
        build_graph(params)
        tf.compat.v1.train.get_or_create_global_step()
        variables = tf.compat.v1.global_variables()
        saver = tf.compat.v1.train.Saver(variables)
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            saver.save(session, str(model_dir / "model"), write_meta_graph=False)
    ModelProvider.writeProbe(str(model_dir))
    emit({"done": True, "variables": len(variables)})


def convert(args: argparse.Namespace) -> None:
    """Write every variable of the checkpoint to a plain `.npz` (no pickles: the
    engine loads it with allow_pickle=False), keyed by its name with "/" as ".".

    Written to a temporary file and renamed, so a crash never leaves half a file
    that a later run would take for converted weights.
    """
    import numpy as np
    import tensorflow as tf

    model_dir = Path(args.model_dir).resolve()
    if not has_checkpoint(model_dir):
        fail_missing_model(f"no Spleeter checkpoint in {model_dir}")
    reader = tf.train.load_checkpoint(str(model_dir))
    arrays: dict[str, Any] = {}
    for name in sorted(reader.get_variable_to_shape_map()):
        if name == "global_step":
            continue  # training bookkeeping, not a weight
        arrays[name.replace("/", ".")] = np.asarray(reader.get_tensor(name), dtype=np.float32)
    arrays["source_identity"] = np.array(args.identity)  # a unicode array, not an object
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with open(temp, "wb") as stream:
            np.savez(stream, **arrays)
        os.replace(temp, out)
    finally:
        temp.unlink(missing_ok=True)
    emit({"done": True, "variables": len(arrays) - 1})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("separate")
    run.add_argument("--model-dir", required=True)
    run.add_argument("--mix", required=True)
    run.add_argument("--vocals", required=True)
    run.add_argument("--accompaniment", required=True)
    run.add_argument("--chunk-samples", type=int, default=CHUNK_SAMPLES)
    run.add_argument("--overlap-samples", type=int, default=OVERLAP_SAMPLES)
    make = commands.add_parser("init-random")
    make.add_argument("--model-dir", required=True)
    make.add_argument("--seed", type=int, default=0)
    conv = commands.add_parser("convert")
    conv.add_argument("--model-dir", required=True)
    conv.add_argument("--out", required=True)
    conv.add_argument("--identity", default="")
    args = parser.parse_args(argv)
    if args.command == "separate":
        if not 0 <= args.overlap_samples < args.chunk_samples:
            parser.error("need 0 <= overlap < chunk")
        separate(args)
    elif args.command == "convert":
        convert(args)
    else:
        init_random(args)


if __name__ == "__main__":
    main()
