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

`UNet` is that network as Keras built it, the reference; `separate` runs its
inference form, `_FastUNet` (normalisations folded into the convolutions, the
transposed convolutions as phase convolutions: the same products, to float
rounding), one segment per chunk, one chunk per core, each on one PyTorch thread.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
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
SEGMENTS_PER_CHUNK = 1  # ~12 s of song per forward pass: faster per segment than 2 or 3
MAX_WORKERS = 4  # chunks separated at once (~150 MB each); more cores share them

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


def _empty_padded(batch: int, channels: int, height: int, width: int) -> torch.Tensor:
    """A channels-last (batch, channels, height + 3, width + 3) buffer whose border
    (TensorFlow's "same" padding: 1 row/column before, 2 after) is zero; the
    caller writes the inside, `_inside`."""
    out = torch.empty(batch, channels, height + 3, width + 3, memory_format=torch.channels_last)
    for rows in (out[:, :, :1], out[:, :, height + 1 :]):
        rows.zero_()
    for columns in (out[:, :, :, :1], out[:, :, :, width + 1 :]):
        columns.zero_()
    return out


def _inside(padded: torch.Tensor) -> torch.Tensor:
    return padded[:, :, 1:-2, 1:-2]


# A stride-2 5×5 transposed convolution, cropped as in `UNet.forward`, computes
# output row 2m from input rows m-1, m with taps 3, 1 and row 2m + 1 from rows
# m-1, m, m+1 with taps 4, 2, 0 (the same for columns): four ordinary convolutions,
# one per output phase (row parity a, column parity b), with the transposed
# convolution's products and none of its scatter. Per parity: (tap, input offset).
PHASE_TAPS = (((3, -1), (1, 0)), ((4, -1), (2, 0), (0, 1)))


def _phase_kernels(weight: np.ndarray) -> list[np.ndarray]:
    """(in, out, 5, 5) transposed-convolution weights → the 4 phases' kernels
    (out, in, 2 or 3, 2 or 3), views, in phase order (a, b) = (0, 0), (0, 1),
    (1, 0), (1, 1)."""
    taps = [slice(first, None, -2) for (first, _), *_ in PHASE_TAPS]  # 3, 1 and 4, 2, 0
    return [
        weight[:, :, rows][:, :, :, columns].transpose(1, 0, 2, 3)
        for rows in taps
        for columns in taps
    ]


def _channels_last(array: np.ndarray, scale: np.ndarray | None = None) -> torch.Tensor:
    """A channels-last copy of (out, in, kh, kw) weights, each output channel
    times `scale` when given: one pass over the weights, whatever their layout."""
    out = torch.empty(array.shape, memory_format=torch.channels_last)
    if scale is None:
        np.copyto(out.numpy(), array)
    else:
        np.multiply(array, scale.reshape(-1, 1, 1, 1), out=out.numpy())
    return out


def _phase_mask_weight(weight: torch.Tensor) -> torch.Tensor:
    """up7 (1 → 2 channels, 4×4 taps at dilation 2, "same") between phase planes:
    output phase (a, b) reads only input phase (1 - a, 1 - b), at offsets -2..1
    (even) or -1..2 (odd), so it is a plain 5×5 convolution of the 4 phase planes
    to 8 channels (2a + b)·2 + s. oneDNN runs 1-channel images slowly."""
    out = weight.new_zeros(2, 2, 2, 2, 2, 5, 5)  # (a, b, s) out, (a', b') in
    for a in (0, 1):
        for b in (0, 1):
            for k in range(4):
                for tap in range(4):
                    row, column = k - 2 + a, tap - 2 + b
                    out[a, b, :, 1 - a, 1 - b, row + 2, column + 2] = weight[:, 0, k, tap]
    return out.reshape(8, 4, 5, 5).contiguous(memory_format=torch.channels_last)


class _FastUNet:
    """One `UNet` with its normalisations folded in, for inference.

    The same arithmetic as `UNet.forward` up to float rounding (~1e-5 on the masks,
    ~1e-6 on the stems):
    - each encoder normalisation and leaky ReLU is written straight into the
      padded buffer the next convolution reads (no separate pad, no copies);
    - a decoder normalisation follows a ReLU; its scale s ≥ 0 moves into the
      transposed convolution (relu(u)·s = relu(s·u)) and its shift b into the
      bias, leaving max(u', b), written straight into the concatenation buffer;
    - the transposed convolutions up1..up5 run as 4 phase convolutions each
      (`PHASE_TAPS`), which oneDNN runs faster than its transposed convolution;
    - up6 (one output channel, where oneDNN is slow) is a matrix product to the
      25 taps' planes and shifted sums of them, one per phase; its four phase
      planes stay apart through up7 (`_phase_mask_weight`) and the sigmoid.
    """

    def __init__(self, unet: UNet) -> None:
        def affine(norm: BatchNorm) -> tuple[torch.Tensor, torch.Tensor]:
            scale = norm.gamma / torch.sqrt(norm.moving_variance + BATCH_NORM_EPSILON)
            return scale.detach(), (norm.beta - norm.moving_mean * scale).detach()

        def array(parameter: torch.Tensor) -> np.ndarray:
            return parameter.detach().numpy()

        self.encoder = []
        for i in range(1, 7):
            conv = getattr(unet, f"conv{i}")
            scale, shift = affine(getattr(unet, f"batch{i}"))
            assert conv.bias is not None
            weight, bias = _channels_last(array(conv.weight)), conv.bias.detach().clone()
            self.encoder.append((weight, bias, scale.view(-1, 1, 1), shift.view(-1, 1, 1)))
        # Per decoder layer: weights, bias, the normalisation's scale (None: folded
        # into the weights) and shift.
        Decoder = tuple[list[torch.Tensor], torch.Tensor, torch.Tensor | None, torch.Tensor]
        self.decoder: list[Decoder] = []
        for i in range(1, 7):
            up = getattr(unet, f"up{i}")
            scale, shift = affine(getattr(unet, f"batch{i + 6}"))
            folded = bool((scale >= 0).all())
            assert up.bias is not None
            transposed, bias = array(up.weight), up.bias.detach().clone()  # (in, out, 5, 5)
            factor = scale.numpy() if folded else None
            if folded:
                bias = bias * scale + shift
            if i < 6:
                kernels = _phase_kernels(transposed)
                weights = [_channels_last(kernel, factor) for kernel in kernels]
            else:  # (25 taps, in): row 5·kh + kw
                taps = transposed[:, 0].transpose(1, 2, 0).reshape(25, -1)
                weights = [torch.from_numpy(taps * (1.0 if factor is None else factor[0]))]
            self.decoder.append((weights, bias, None if folded else scale, shift))
        assert unet.up7.bias is not None
        self.mask_weight = _phase_mask_weight(unet.up7.weight.detach())
        self.mask_bias = unet.up7.bias.detach().repeat(4)

    def _activate(self, up: torch.Tensor, out: torch.Tensor, layer: int) -> None:
        """out = batch(relu(up)) of decoder layer `layer` (0-based), folded or not;
        channels are dimension 1."""
        scale, shift = self.decoder[layer][2:]
        shape = (-1,) + (1,) * (up.dim() - 2)
        if scale is None:
            torch.maximum(up, shift.view(shape), out=out)
        else:
            torch.clamp_min(up, 0.0, out=out)
            torch.addcmul(shift.view(shape), out, scale.view(shape), out=out)

    def _up(self, layer: int, x: torch.Tensor, out: torch.Tensor) -> None:
        """Decoder layer `layer` (0-based, up1..up5) of x into out (batch,
        channels, 2·height, 2·width), activated."""
        weights, bias = self.decoder[layer][:2]
        batch, _, height, width = x.shape
        phases_out = out.view(batch, out.shape[1], height, 2, width, 2)
        for phase, kernel in enumerate(weights):
            # padding 1 on both sides: a 2-tap phase gets one extra row/column, dropped
            y = F.conv2d(x, kernel, bias, padding=1)[:, :, :height, :width]
            self._activate(y, phases_out[:, :, :, phase // 2, :, phase % 2], layer)

    def _up6(self, x: torch.Tensor) -> torch.Tensor:
        """up6 of x (batch, in, height, width) → its 4 phase planes (batch, 4,
        height, width), channel 2a + b, activated."""
        weights, bias = self.decoder[5][:2]
        batch, channels, height, width = x.shape
        rows = x.permute(0, 2, 3, 1).reshape(batch, height * width, channels)  # a view
        taps = torch.matmul(weights[0], rows.transpose(1, 2))  # (batch, 25, pixels)
        taps = taps.view(batch, 5, 5, height, width)
        out = torch.empty(batch, 4, height, width)
        for a, row_taps in enumerate(PHASE_TAPS):
            for b, column_taps in enumerate(PHASE_TAPS):
                plane = out[:, 2 * a + b]
                plane.fill_(float(bias[0]))
                for row_tap, row_offset in row_taps:
                    for column_tap, column_offset in column_taps:
                        # plane[m, n] += taps[m + row_offset, n + column_offset]
                        top, left = max(0, -row_offset), max(0, -column_offset)
                        bottom, right = height - max(0, row_offset), width - max(0, column_offset)
                        plane[:, top:bottom, left:right] += taps[
                            :,
                            row_tap,
                            column_tap,
                            top + row_offset : bottom + row_offset,
                            left + column_offset : right + column_offset,
                        ]
        self._activate(out, out, 5)
        return out.contiguous(memory_format=torch.channels_last)

    def forward(self, padded: torch.Tensor) -> torch.Tensor:
        """Magnitudes (batch, 2, 512, 1024), given inside `_empty_padded`'s zero
        border, → this stem's soft mask (batch, 2, 256, 2, 512, 2) (a view):
        frame 2m + a, bin 2n + b at [:, :, m, a, n, b]."""
        batch = padded.shape[0]
        skips = []
        x = padded
        for i, (weight, bias, scale, shift) in enumerate(self.encoder):
            conv = F.conv2d(x, weight, bias, stride=2)
            skips.append(conv)
            if i < 5:  # conv6's own normalisation and activation feed nothing
                x = _empty_padded(batch, conv.shape[1], conv.shape[2], conv.shape[3])
                inside = _inside(x)
                torch.addcmul(shift, conv, scale, out=inside)
                F.leaky_relu_(inside, 0.2)
        x = skips[5]
        for i in range(5):
            skip = skips[4 - i]
            channels, height, width = skip.shape[1:]
            joined = torch.empty(
                batch, 2 * channels, height, width, memory_format=torch.channels_last
            )
            joined[:, :channels].copy_(skip)
            self._up(i, x, joined[:, channels:])
            x = joined
        mask = F.conv2d(self._up6(x), self.mask_weight, self.mask_bias, padding=2).sigmoid_()
        height, width = mask.shape[2], mask.shape[3]
        # channel (2a + b)·2 + s → (batch, s, m, a, n, b): frame 2m + a, bin 2n + b
        return mask.view(batch, 2, 2, 2, height, width).permute(0, 3, 4, 1, 5, 2)


class _FastSpleeter:
    """`Spleeter2Stems` for inference (`_FastUNet` per stem)."""

    def __init__(self, model: Spleeter2Stems) -> None:
        self.stems = [_FastUNet(model.vocals), _FastUNet(model.accompaniment)]

    def masks(
        self, padded: torch.Tensor, magnitudes: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Ratio masks (vocals, accompaniment) of `magnitudes` (batch, 2, 512, 1024),
        any layout, given again inside `padded`'s zero border (`_empty_padded`);
        the masks have the layout of `magnitudes`. Those of `Spleeter2Stems.forward`
        to float rounding."""
        powers = []
        for stem in self.stems:
            mask = stem.forward(padded)
            estimate = torch.empty_like(magnitudes)  # the layout of magnitudes
            # The phase planes back into frames and bins, in the same pass as the product.
            torch.mul(mask, magnitudes.view(mask.shape), out=estimate.view(mask.shape))
            powers.append(estimate.square_())
        total = powers[0] + powers[1]
        total += EPSILON
        for power in powers:
            power += EPSILON / len(STEMS)
            power /= total
        return powers[0], powers[1]


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


def load_weights(model: Spleeter2Stems, path: Path, assign: bool = False) -> None:
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
                # become PyTorch's (first, second, kh, kw) by the same permutation (a
                # view: `_FastUNet` copies each once, into the layout it runs).
                value = value.permute(3, 2, 0, 1)
            state[f"{stem}.{ours}"] = value
    model.load_state_dict(state, strict=True, assign=assign)
    model.__dict__.pop("_fast", None)  # new weights: `prepared` folds them again


def load_model(path: Path) -> Spleeter2Stems:
    """The model with the weights at `path`, ready for `separate` (normalisations
    folded in, `_FastSpleeter`)."""
    with torch.device("meta"):  # no random initialisation of 40M weights to overwrite
        model = Spleeter2Stems()
    load_weights(model, path, assign=True)
    model.eval()
    prepared(model)
    return model


def prepared(model: Spleeter2Stems) -> _FastSpleeter:
    """`model`'s inference form, made on first use and kept with it (`load_weights`
    drops it; weights changed any other way need `model.__dict__.pop("_fast")`)."""
    fast = model.__dict__.get("_fast")
    if fast is None:
        fast = model.__dict__["_fast"] = _FastSpleeter(model)
    return fast


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
        """Samples [start, stop) of the padded song, channels first: (2, stop - start)."""
        out = np.zeros((2, stop - start), np.float32)
        lo, hi = max(start - FRAME_LENGTH, 0), min(stop - FRAME_LENGTH, len(self.mix))
        if hi > lo:
            out[:, lo + FRAME_LENGTH - start : hi + FRAME_LENGTH - start] = self.mix[lo:hi].T
        return out


def separation_threads() -> int:
    """The cores this process may use (a CI runner's 2, a laptop's 8, a batch worker's share)."""
    from core.threads import process_cores

    return process_cores()


def _overlap_add(frames: torch.Tensor, out: torch.Tensor) -> None:
    """(channels, count, 4096) frames at hop 1024 → out, (channels, (count + 3)·1024),
    zero before: each frame is 4 hops long, so 4 shifted adds do it."""
    channels, count, _ = frames.shape
    hops = FRAME_LENGTH // FRAME_STEP
    quarters = frames.view(channels, count, hops, FRAME_STEP)
    hopped = out.view(channels, count + hops - 1, FRAME_STEP)
    for j in range(hops):
        hopped[:, j : j + count] += quarters[:, :, j]


class _Chunk:
    """Frames [first, first + count) of the song: its STFT, the network on its
    512-frame segments, and both stems' inverse STFT."""

    def __init__(self, first: int, count: int) -> None:
        self.first, self.count = first, count
        self.start = first * FRAME_STEP  # in the padded song
        self.stop = self.start + (count - 1) * FRAME_STEP + FRAME_LENGTH

    def run(self, fast: _FastSpleeter, padded: _Padded) -> np.ndarray:
        """(stems, stop - start, 2): this chunk's stems, windowed and overlap-added."""
        with torch.inference_mode():
            window = torch.hann_window(FRAME_LENGTH, periodic=True)
            audio = torch.from_numpy(padded.read(self.start, self.stop))
            # Frames as rows, (2, count, 4096): every FFT then runs on contiguous memory.
            framed = audio.unfold(1, FRAME_LENGTH, FRAME_STEP) * window
            spectrum = torch.fft.rfft(framed, dim=-1)
            del framed, audio
            stft = spectrum[:, :, :BINS]  # the bins above get mask 0
            segments = -(-self.count // SEGMENT_FRAMES)
            # Beyond the song: zero magnitudes, as Spleeter pads.
            magnitudes = torch.zeros(2, segments, SEGMENT_FRAMES, BINS)
            torch.abs(stft, out=magnitudes.view(2, -1, BINS)[:, : self.count])
            magnitudes = magnitudes.permute(1, 0, 2, 3)  # (segments, 2, 512, bins)
            network_in = _empty_padded(segments, 2, SEGMENT_FRAMES, BINS)
            _inside(network_in).copy_(magnitudes)
            masks = fast.masks(network_in, magnitudes)
            del network_in, magnitudes
            synthesis = window * WINDOW_COMPENSATION
            out = torch.zeros(len(STEMS), 2, self.stop - self.start)
            # irfft reads bins 0..2048; those above BINS stay zero: the "zeros" mask extension.
            masked = torch.empty(2, self.count, FRAME_LENGTH // 2 + 1, dtype=stft.dtype)
            masked[:, :, BINS:] = 0
            for stem, mask in enumerate(masks):
                mask = mask.permute(1, 0, 2, 3).reshape(2, -1, BINS)[:, : self.count, :, None]
                # (real, imaginary) times the mask: no complex copy of the mask
                real_out = torch.view_as_real(masked)[:, :, :BINS]
                torch.mul(torch.view_as_real(stft), mask, out=real_out)
                frames = torch.fft.irfft(masked, n=FRAME_LENGTH)
                frames *= synthesis
                _overlap_add(frames, out[stem])
            return np.ascontiguousarray(out.numpy().transpose(0, 2, 1))  # the song's (N, 2)


class _Heap:
    """Within `with _Heap():`, glibc's malloc keeps freed memory (below 32 MB a
    block) for the next allocation instead of giving it back to the system: each
    chunk allocates and frees a few hundred megabytes, and fresh pages cost a page
    fault and the kernel's zeroing each time (~10% of the run on 2 workers).
    Afterwards malloc gets the thresholds its own adaptation reaches once 32 MB
    blocks have been freed (mmap above 32 MB, trim above 64 MB) and the kept
    memory goes back to the system. Nothing happens where there is no glibc."""

    TRIM_THRESHOLD, MMAP_THRESHOLD = -1, -3  # mallopt's M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
    MMAP_LIMIT = 32 * 1024 * 1024  # glibc's largest mmap threshold on 64 bits
    KEEP = 1 << 30  # trim threshold within: keep what is freed

    def __init__(self) -> None:
        self.libc = None
        try:
            import ctypes

            libc = ctypes.CDLL(None)
            if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim"):
                self.libc = libc
        except (OSError, TypeError):  # no C library to open (Windows: no CDLL(None))
            pass

    def __enter__(self) -> _Heap:
        if self.libc is not None:
            self.libc.mallopt(self.TRIM_THRESHOLD, self.KEEP)
            self.libc.mallopt(self.MMAP_THRESHOLD, self.MMAP_LIMIT)
        return self

    def __exit__(self, *_: object) -> None:
        if self.libc is not None:
            self.libc.mallopt(self.TRIM_THRESHOLD, 2 * self.MMAP_LIMIT)
            self.libc.malloc_trim(0)


def separate(
    model: Spleeter2Stems,
    mix: np.ndarray,
    progress: ProgressFraction | None = None,
    segments_per_chunk: int = SEGMENTS_PER_CHUNK,
    threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(vocals, accompaniment) float32 (N, 2) of a float32 (N, 2) 44.1 kHz mixture.

    Chunks of `segments_per_chunk` segments run on `threads` cores (default: those
    this process may use), up to MAX_WORKERS chunks at a time, each on its own
    core(s): a worker never waits at every layer for a core another program
    holds, as PyTorch's own threads do. Their stems are added into the song in
    order, here, where `progress` is called too.
    """
    mix = np.ascontiguousarray(mix, dtype=np.float32)
    if mix.ndim != 2 or mix.shape[1] != 2:
        raise ValueError(f"mixture must be (N, 2), got {mix.shape}")
    fast = prepared(model)
    samples = len(mix)
    frames = _frame_count(samples)
    padded = _Padded(mix)
    outputs = [np.zeros((samples, 2), np.float32) for _ in STEMS]
    chunk_frames = segments_per_chunk * SEGMENT_FRAMES
    chunks = [
        _Chunk(first, min(chunk_frames, frames - first)) for first in range(0, frames, chunk_frames)
    ]
    threads = threads or separation_threads()
    workers = max(1, min(threads, MAX_WORKERS, len(chunks)))
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(max(1, threads // workers))  # each worker's share
    try:
        with _Heap(), ThreadPoolExecutor(workers, thread_name_prefix="spleeter") as pool:
            pending: deque[tuple[_Chunk, Future[np.ndarray]]] = deque()
            queued = iter(chunks)
            for done in range(len(chunks)):
                # Twice as many chunks in flight as workers: none waits for the adding.
                for chunk in queued:
                    pending.append((chunk, pool.submit(chunk.run, fast, padded)))
                    if len(pending) >= 2 * workers:
                        break
                chunk, future = pending.popleft()
                try:
                    waveforms = future.result()
                except BaseException:  # an error, or Ctrl-C: start no other chunk
                    for _, other in pending:
                        other.cancel()
                    raise
                # Into the song's time: the padded signal starts 4096 samples early.
                lo = max(chunk.start - FRAME_LENGTH, 0)
                hi = min(chunk.stop - FRAME_LENGTH, samples)
                if hi > lo:
                    offset = lo + FRAME_LENGTH - chunk.start
                    for output, waveform in zip(outputs, waveforms, strict=True):
                        output[lo:hi] += waveform[offset : offset + hi - lo]
                if progress is not None:
                    progress((done + 1) / len(chunks))
    finally:
        torch.set_num_threads(previous_threads)
    return outputs[0], outputs[1]
