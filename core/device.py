"""`--device`: the one place a device name becomes a torch device, for training and generation.

`auto` is a CUDA GPU when one is present, else the CPU (DESIGN: code runs on CPU;
a GPU is used when present). Apple's `mps` is used only when asked for: the model's
recurrent pose head has never been checked against the CPU there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.errors import BadInput

if TYPE_CHECKING:  # torch loads when a device is resolved, not when a CLI parses its flags
    import torch

DEVICE_HELP = "auto (a CUDA GPU when present, else CPU), cpu, cuda, cuda:N or mps (default auto)"


def resolve_device(name: str | torch.device = "auto", local_rank: int = 0) -> torch.device:
    """The torch device `name` asks for, or BadInput naming what this machine lacks.

    A bare `cuda` (and `auto` on a GPU machine) is GPU `local_rank`: under torchrun,
    each process's own.
    """
    import torch

    text = str(name).strip().lower()
    if text == "auto":
        text = "cuda" if torch.cuda.is_available() else "cpu"
    if text == "cpu":
        return torch.device("cpu")
    if text == "mps":
        if not torch.backends.mps.is_available():
            raise BadInput("device 'mps' is not available: no Apple GPU here (use auto or cpu)")
        return torch.device("mps")
    kind, _, index = text.partition(":")
    if kind != "cuda" or (index and not index.isdigit()):
        raise BadInput(f"unknown device {str(name)!r} (auto, cpu, cuda, cuda:N or mps)")
    if not torch.cuda.is_available():
        raise BadInput(f"device {text!r} is not available: no CUDA GPU here (use auto or cpu)")
    number = int(index) if index else local_rank
    count = torch.cuda.device_count()
    if number >= count:
        raise BadInput(f"device 'cuda:{number}' is not available: this machine has {count} GPU(s)")
    return torch.device("cuda", number)
