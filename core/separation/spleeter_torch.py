"""Spleeter's 2-stems model run in-process with PyTorch: no TensorFlow start-up.

This is Deezer's network and signal path (spleeter 2.4.2, `spleeter/model/__init__.py`
and `spleeter/model/functions/unet.py`) written again layer for layer, so the
released weights (converted once from the TensorFlow checkpoint to a plain `.npz`)
give the package's output:

- 4096 zeros are put before the song; STFT with a periodic Hann window of 4096
  samples, hop 1024, the end padded (TensorFlow's `pad_end=True`);
- the magnitude of the first 1024 bins (up to 11 kHz), cut into segments of 512
  frames, feeds one U-Net per stem; each U-Net's output is its stem's magnitude;
- ratio masks with separation exponent 2 (mask = s² / Σ s²), zero above bin 1024;
- inverse STFT with the same window, times 2/3 (Hann² at hop 1024 sums to 1.5).

The U-Net sees each 512-frame segment on its own, so running a few segments at a
time and overlap-adding their inverse STFT into the output gives exactly what one
pass over the whole song gives, with memory bounded by the chunk, not the song.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.errors import MissingModel

SAMPLE_RATE = 44100
FRAME_LENGTH = 4096
FRAME_STEP = 1024
BINS = 1024  # the network's band: bins 0..1023 of 2049, up to 11 kHz
SEGMENT_FRAMES = 512  # Spleeter's T
SEPARATION_EXPONENT = 2
EPSILON = 1e-10
WINDOW_COMPENSATION = 2.0 / 3.0
STEMS = ("vocals", "accompaniment")  # Spleeter's instrument_list order for 2stems
ENCODER_FILTERS = (16, 32, 64, 128, 256, 512)
BATCH_NORM_EPSILON = 1e-3  # Keras BatchNormalization's default
# Per stem, Keras numbered its layers in creation order: 7 Conv2D (6 encoder + the
# final mask layer), 6 Conv2DTranspose, 12 BatchNormalization (6 + 6).
CONVS, DECONVS, NORMS = 7, 6, 12
SEGMENTS_PER_CHUNK = 2  # ~24 s of song per forward pass: ~300 MB of activations

ProgressFraction = Callable[[float], None]


def _same_pad(x: torch.Tensor) -> torch.Tensor:
    """TensorFlow's "same" padding for a 5×5 kernel at stride 2 on an even size:
    1 before, 2 after (PyTorch's own padding is symmetric)."""
    return F.pad(x, (1, 2, 1, 2))


def _deconv_one_channel(x: torch.Tensor, layer: nn.ConvTranspose2d) -> torch.Tensor:
    """The full transposed convolution to one channel (up6), as a matrix product and a
    scatter-add (fold): PyTorch's own kernel is 2-3 times slower for one output channel."""
    batch, channels, height, width = x.shape
    kernel = layer.kernel_size[0]
    weight = layer.weight.reshape(channels, kernel * kernel).T  # (taps, channels)
    columns = torch.matmul(weight, x.reshape(batch, channels, height * width))
    size = (2 * height + kernel - 2, 2 * width + kernel - 2)
    out = F.fold(columns, size, kernel, stride=2)
    assert layer.bias is not None  # Keras' Conv2DTranspose has one
    return out + layer.bias.view(1, -1, 1, 1)


class BatchNorm(nn.Module):
    """Keras BatchNormalization at inference: a per-channel scale and shift."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(channels), requires_grad=False)
        self.beta = nn.Parameter(torch.zeros(channels), requires_grad=False)
        self.moving_mean = nn.Parameter(torch.zeros(channels), requires_grad=False)
        self.moving_variance = nn.Parameter(torch.ones(channels), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.batch_norm(
            x,
            self.moving_mean,
            self.moving_variance,
            self.gamma,
            self.beta,
            training=False,
            eps=BATCH_NORM_EPSILON,
        )


class UNet(nn.Module):
    """`apply_unet` of Spleeter: input and output (batch, 2, frames, bins), magnitudes.

    As in the original, the skip connections carry the encoder's convolutions
    before their normalisation and activation, conv6's normalisation is unused,
    and dropout is off at inference.
    """

    def __init__(self) -> None:
        super().__init__()
        f = ENCODER_FILTERS
        channels_in = (2, *f[:-1])
        for i in range(6):
            setattr(self, f"conv{i + 1}", nn.Conv2d(channels_in[i], f[i], 5, stride=2))
            setattr(self, f"batch{i + 1}", BatchNorm(f[i]))
        # Decoder: up1 reads conv6; every later one reads [encoder skip, decoder].
        ups_in = (f[5], 2 * f[4], 2 * f[3], 2 * f[2], 2 * f[1], 2 * f[0])
        ups_out = (f[4], f[3], f[2], f[1], f[0], 1)
        for i in range(6):
            setattr(self, f"up{i + 1}", nn.ConvTranspose2d(ups_in[i], ups_out[i], 5, stride=2))
            setattr(self, f"batch{i + 7}", BatchNorm(ups_out[i]))
        self.up7 = nn.Conv2d(1, 2, 4, dilation=2, padding=3)  # "same" for the 7-wide span

    def forward(self, spectrogram: torch.Tensor) -> torch.Tensor:
        skips = []
        x = spectrogram
        for i in range(1, 7):
            conv = getattr(self, f"conv{i}")(_same_pad(x))
            skips.append(conv)
            if i < 6:  # conv6's own batch6 and activation feed nothing
                x = F.leaky_relu(getattr(self, f"batch{i}")(conv), 0.2)
        x = skips[5]
        for i in range(1, 7):
            layer = getattr(self, f"up{i}")
            up = _deconv_one_channel(x, layer) if layer.out_channels == 1 else layer(x)
            # A transposed "same" convolution at stride 2: the full output, less 1
            # row/column before (the forward convolution's padding) and 2 after.
            up = up[:, :, 1 : 1 + 2 * x.shape[2], 1 : 1 + 2 * x.shape[3]]
            up = getattr(self, f"batch{i + 6}")(F.relu(up))
            x = torch.cat([skips[5 - i], up], dim=1) if i < 6 else up
        mask = torch.sigmoid(self.up7(x))
        return mask * spectrogram


class Spleeter2Stems(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.vocals = UNet()
        self.accompaniment = UNet()

    def forward(self, spectrogram: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Ratio masks (vocals, accompaniment) over the network's band."""
        estimates = [self.vocals(spectrogram), self.accompaniment(spectrogram)]
        powers = [estimate**SEPARATION_EXPONENT for estimate in estimates]
        total = powers[0] + powers[1] + EPSILON
        vocals, accompaniment = ((power + EPSILON / len(STEMS)) / total for power in powers)
        return vocals, accompaniment


def tf_variable_names(stem_index: int) -> dict[str, str]:
    """Our parameter names → the checkpoint's, for one stem's U-Net.

    Keras named layers `conv2d`, `conv2d_1`, … in creation order across both
    U-Nets (vocals first): conv1, batch1, …, conv6, batch6, up1, batch7, …,
    up6, batch12, up7.
    """

    def numbered(kind: str, index: int) -> str:
        return kind if index == 0 else f"{kind}_{index}"

    conv0, deconv0, norm0 = stem_index * CONVS, stem_index * DECONVS, stem_index * NORMS
    names: dict[str, str] = {}
    for i in range(6):
        conv = numbered("conv2d", conv0 + i)
        names[f"conv{i + 1}.weight"] = f"{conv}/kernel"
        names[f"conv{i + 1}.bias"] = f"{conv}/bias"
        deconv = numbered("conv2d_transpose", deconv0 + i)
        names[f"up{i + 1}.weight"] = f"{deconv}/kernel"
        names[f"up{i + 1}.bias"] = f"{deconv}/bias"
    conv = numbered("conv2d", conv0 + 6)
    names["up7.weight"] = f"{conv}/kernel"
    names["up7.bias"] = f"{conv}/bias"
    for i in range(12):
        norm = numbered("batch_normalization", norm0 + i)
        for field in ("gamma", "beta", "moving_mean", "moving_variance"):
            names[f"batch{i + 1}.{field}"] = f"{norm}/{field}"
    return names


def load_weights(model: Spleeter2Stems, path: Path) -> None:
    """Fill `model` from a converted `.npz` (TensorFlow names, TensorFlow layouts).

    Only plain numeric arrays load (allow_pickle=False): a file carrying pickled
    objects is refused, never executed.
    """
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except ValueError as error:  # numpy: "Object arrays cannot be loaded when allow_pickle=False"
        raise MissingModel(f"Spleeter weights {path} are not plain arrays ({error})") from error
    except (OSError, EOFError) as error:
        raise MissingModel(f"Spleeter weights {path} are unreadable ({error})") from error
    state: dict[str, torch.Tensor] = {}
    for stem_index, stem in enumerate(STEMS):
        for ours, theirs in tf_variable_names(stem_index).items():
            key = theirs.replace("/", ".")
            if key not in arrays:
                raise MissingModel(f"Spleeter weights {path} lack {theirs}")
            value = torch.from_numpy(np.ascontiguousarray(arrays[key], dtype=np.float32))
            if value.ndim == 4:
                # Conv2D (kh, kw, in, out) and Conv2DTranspose (kh, kw, out, in) both
                # become PyTorch's (first, second, kh, kw) by the same permutation.
                value = value.permute(3, 2, 0, 1).contiguous()
            state[f"{stem}.{ours}"] = value
    model.load_state_dict(state, strict=True)


def load_model(path: Path) -> Spleeter2Stems:
    model = Spleeter2Stems()
    load_weights(model, path)
    # Channels-last puts the transposed convolutions on oneDNN: a third faster.
    for parameter in model.parameters():
        if parameter.ndim == 4:
            parameter.data = parameter.data.contiguous(memory_format=torch.channels_last)
    return model.eval()


def _frame_count(samples: int) -> int:
    """STFT frames of the song with Spleeter's 4096 leading zeros and end padding."""
    return -(-(samples + FRAME_LENGTH) // FRAME_STEP)


class _Padded:
    """The song with Spleeter's leading zeros and trailing padding, read by slices
    without copying the whole song."""

    def __init__(self, mix: np.ndarray) -> None:
        self.mix = mix
        self.length = (_frame_count(len(mix)) - 1) * FRAME_STEP + FRAME_LENGTH

    def read(self, start: int, stop: int) -> np.ndarray:
        out = np.zeros((stop - start, 2), np.float32)
        lo, hi = max(start - FRAME_LENGTH, 0), min(stop - FRAME_LENGTH, len(self.mix))
        if hi > lo:
            out[lo + FRAME_LENGTH - start : hi + FRAME_LENGTH - start] = self.mix[lo:hi]
        return out


def separation_threads() -> int:
    """The cores this process may use (a CI runner's 2, a laptop's 8)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _overlap_add(frames: torch.Tensor) -> torch.Tensor:
    """(channels, count, 4096) frames at hop 1024 → (channels, (count + 3)·1024):
    each frame is 4 hops long, so 4 shifted adds do it."""
    channels, count, _ = frames.shape
    hops = FRAME_LENGTH // FRAME_STEP
    quarters = frames.reshape(channels, count, hops, FRAME_STEP)
    out = torch.zeros(channels, count + hops - 1, FRAME_STEP)
    for j in range(hops):
        out[:, j : j + count] += quarters[:, :, j]
    return out.reshape(channels, -1)


@torch.inference_mode()
def separate(
    model: Spleeter2Stems,
    mix: np.ndarray,
    progress: ProgressFraction | None = None,
    segments_per_chunk: int = SEGMENTS_PER_CHUNK,
) -> tuple[np.ndarray, np.ndarray]:
    """(vocals, accompaniment) float32 (N, 2) of a float32 (N, 2) 44.1 kHz mixture."""
    mix = np.ascontiguousarray(mix, dtype=np.float32)
    if mix.ndim != 2 or mix.shape[1] != 2:
        raise ValueError(f"mixture must be (N, 2), got {mix.shape}")
    samples = len(mix)
    frames = _frame_count(samples)
    padded = _Padded(mix)
    window = torch.hann_window(FRAME_LENGTH, periodic=True)
    synthesis = window * WINDOW_COMPENSATION
    outputs = [np.zeros((samples, 2), np.float32) for _ in STEMS]
    chunk_frames = segments_per_chunk * SEGMENT_FRAMES
    starts = range(0, frames, chunk_frames)
    for done, first in enumerate(starts):
        count = min(chunk_frames, frames - first)
        start = first * FRAME_STEP
        stop = start + (count - 1) * FRAME_STEP + FRAME_LENGTH
        audio = torch.from_numpy(padded.read(start, stop)).T  # (2, samples)
        # Frames as rows, (2, count, 4096): every FFT then runs on contiguous memory.
        framed = audio.unfold(1, FRAME_LENGTH, FRAME_STEP) * window
        stft = torch.fft.rfft(framed, dim=-1)[:, :, :BINS]  # the bins above get mask 0
        segments = -(-count // SEGMENT_FRAMES)
        magnitude = F.pad(stft.abs(), (0, 0, 0, segments * SEGMENT_FRAMES - count))
        # (2, segments·512, bins) → (segments, 2, 512, bins), stored channels-last.
        batch = magnitude.reshape(2, segments, SEGMENT_FRAMES, BINS).permute(1, 0, 2, 3)
        masks = model(batch.contiguous(memory_format=torch.channels_last))
        for output, mask in zip(outputs, masks, strict=True):
            mask = mask.permute(1, 0, 2, 3).reshape(2, -1, BINS)[:, :count]
            # irfft zero-fills the bins above BINS: the "zeros" mask extension.
            waveform = _overlap_add(torch.fft.irfft(stft * mask, n=FRAME_LENGTH) * synthesis)
            # Into the song's time: the padded signal starts 4096 samples early.
            lo, hi = max(start - FRAME_LENGTH, 0), min(stop - FRAME_LENGTH, samples)
            if hi > lo:
                offset = lo + FRAME_LENGTH - start
                output[lo:hi] += waveform[:, offset : offset + hi - lo].T.numpy()
        if progress is not None:
            progress((done + 1) / len(starts))
    return outputs[0], outputs[1]
