"""One dataclass holds every size and constant of the generator; checkpoints store it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from core.errors import BadInput
from core.streams import ACCOMPANIMENT, MIXTURE, SEPARATED

# The paper's ablations (DESIGN.md, "The method" 8), from the plainest to the full model.
VARIANTS: tuple[str, ...] = ("single-stream", "two-stream", "with-atm", "full")
RHYTHM_SOURCES: tuple[str, ...] = (MIXTURE, ACCOMPANIMENT)
# What the lips (jaw* and mouth* columns) hear: both streams through the expression
# ATM, as the paper's EGN, or only the vocal stream, through an ATM of their own.
LIPS_HEAR: tuple[str, ...] = ("both", "vocals")


@dataclass(frozen=True)
class GeneratorConfig:
    """Sizes of the networks and the constants of the eye-state sampler.

    The defaults give a ~0.6 M parameter model: small enough to generate a
    4-minute song in a few seconds on two CPU cores and to ship in the repo.
    """

    variant: str = "full"
    n_subjects: int = 1
    # Input: 39-frame (390 ms) windows of 26-D MFCC + delta at 100 fps, one per video frame.
    n_mfcc: int = 26
    window: int = 39
    fps: float = 30.0
    # TSAE: each stream's 1-D temporal CNN maps a window to `feature_dim` numbers.
    encoder_channels: int = 32
    feature_dim: int = 64
    # ATM: temporal U-Net over the time axis, one per task.
    unet_channels: int = 48
    # EGN / PGN speed / ESGN / MLP pose heads.
    mlp_hidden: int = 128
    # PGN direction LSTM.
    lstm_hidden: int = 64
    n_expression: int = 52
    pose_dim: int = 6
    # The pose head also reads each frame's beat phase (core/rhythm.py); 0: audio only.
    rhythm_dim: int = 2
    # The stream whose MFCC the beat phase is tracked in (core/streams.py): the
    # mixture (the whole song), or the accompaniment. The mixture keeps every drum
    # onset; the dsp separator moves some into the vocal stream, and the beats of
    # the accompaniment stream lock to the true phase in fewer synthetic clips
    # (62 % against 79 %). The same beats are the Performance's beat markers.
    rhythm_source: str = MIXTURE
    # "vocals": the lower face is decoded from the vocal stream alone (its own ATM over
    # f_v, its own EGN head); the accompaniment still shapes the rest of the face, the
    # head and the eyes. Trained with both streams, the lips learned the corpus's
    # arrangement as well as its voice: a model opened the mouth where the band alone
    # played as a sung section does. Checkpoints from before this field hear "both".
    lips_hear: str = "vocals"
    # ESGN blink sampler (seconds) and the temporal Gaussian filter (frames). The
    # paper's onset-to-onset interval U(1.2, 2.0) s blinks ~0.55 times a second, more
    # than its own measured 0.38 /s and a singer's ~0.3 /s; U(2.0, 3.6) s gives ~0.36 /s.
    blink_interval: tuple[float, float] = (2.0, 3.6)
    blink_duration: tuple[float, float] = (0.10, 0.45)
    eye_sigma_frames: float = 1.0
    # e = e_long where e_long > threshold (the paper's "> 0"): e_long is trained as
    # the chance the eyes are held closed (see training/losses.py), so a closure is
    # where that is more likely than not.
    long_closure_threshold: float = 0.5
    # Inference: encoders and ATMs run in chunks of this many frames, overlapped on
    # both sides by `chunk_context` frames (more than the U-Net's receptive field).
    chunk_frames: int = 1024
    chunk_context: int = 48

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise BadInput(f"unknown variant {self.variant!r}; choose one of {', '.join(VARIANTS)}")
        if self.n_subjects < 1:
            raise BadInput("a generator needs at least one subject")
        if self.rhythm_source not in RHYTHM_SOURCES:
            raise BadInput(
                f"unknown rhythm_source {self.rhythm_source!r}; "
                f"choose one of {', '.join(RHYTHM_SOURCES)}"
            )
        if self.lips_hear not in LIPS_HEAR:
            raise BadInput(
                f"unknown lips_hear {self.lips_hear!r}; choose one of {', '.join(LIPS_HEAR)}"
            )
        if not self.separated and self.rhythm_source != MIXTURE:
            raise BadInput("a single-stream model hears only the mixture: rhythm_source mixture")

    @property
    def separated(self) -> bool:
        """True when the model reads vocal and accompaniment streams apart."""
        return self.variant != "single-stream"

    @property
    def streams(self) -> tuple[str, ...]:
        """The MFCC streams the encoders read, in order (core/streams.py)."""
        return SEPARATED if self.separated else (MIXTURE,)

    @property
    def uses_atm(self) -> bool:
        return self.variant in ("with-atm", "full")

    @property
    def uses_pgn(self) -> bool:
        return self.variant == "full"

    @property
    def mouth_apart(self) -> bool:
        """True when the lips are decoded from the vocal stream alone (a single-stream
        model has no vocal stream apart: its lips hear the mixture like the rest)."""
        return self.separated and self.lips_hear == "vocals"

    @property
    def mouth_dim(self) -> int:
        """Width of what the lips read when apart: vocal features ⊕ the subject one-hot."""
        return self.feature_dim + self.n_subjects

    @property
    def task_dim(self) -> int:
        """Width of what a task head reads: audio features ⊕ the subject one-hot."""
        streams = 2 if self.separated else 1
        return streams * self.feature_dim + self.n_subjects

    @property
    def pose_in_dim(self) -> int:
        """Width of what the pose head reads: the task features ⊕ the rhythm input."""
        return self.task_dim + self.rhythm_dim

    def to_dict(self) -> dict[str, Any]:
        """Plain types only, so `torch.load(weights_only=True)` reads it back."""
        data = asdict(self)
        data["blink_interval"] = list(self.blink_interval)
        data["blink_duration"] = list(self.blink_duration)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GeneratorConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise BadInput(f"checkpoint config has unknown fields: {', '.join(sorted(unknown))}")
        values = dict(data)
        # Checkpoints written before the rhythm input existed have an audio-only pose head.
        values.setdefault("rhythm_dim", 0)
        # ... and those from before `lips_hear` decoded the lips from both streams.
        values.setdefault("lips_hear", "both")
        # ... and those from before `rhythm_source` (or that wrote "stream") tracked the
        # beat in their last stream: the accompaniment, or a single stream's mixture.
        if values.get("rhythm_source", "stream") == "stream":
            single = values.get("variant") == "single-stream"
            values["rhythm_source"] = MIXTURE if single else ACCOMPANIMENT
        for key in ("blink_interval", "blink_duration"):
            if key in values:
                values[key] = tuple(float(v) for v in values[key])
        return cls(**values)
