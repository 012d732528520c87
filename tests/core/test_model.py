"""Shape contracts of every generator module, PGN causality, attention range, chunked inference."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.errors import BadInput
from core.features import frame_windows
from core.model import VARIANTS, GeneratorConfig, MusicFaceGenerator
from core.model.atm import ATM, TemporalUNet
from core.model.discriminator import Discriminator, centre_frames
from core.model.egn import EGN
from core.model.esgn import LongClosureMLP, compose_eye_state, sample_blinks
from core.model.inference import run_generator
from core.model.normalization import STREAMS, Normalization
from core.model.pgn import PGN, PoseMLP
from core.model.tsae import TSAE, AudioEncoder
from core.model.windows import cut_windows, window_rows
from core.rhythm import beat_phase, rhythm_features
from tests.conftest import SMALL_MODEL


def windows(b: int, t: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(b, t, 39, 26, generator=torch.Generator().manual_seed(seed))


def model(variant: str = "full", **overrides: object) -> MusicFaceGenerator:
    torch.manual_seed(0)
    return MusicFaceGenerator(
        GeneratorConfig(variant=variant, **{**SMALL_MODEL, **overrides})
    ).eval()


def test_encoder_and_tsae_shapes() -> None:
    config = GeneratorConfig(n_subjects=3, **SMALL_MODEL)
    assert AudioEncoder(config)(torch.randn(10, 39, 29)).shape == (10, 16)
    tsae = TSAE(config)
    code = torch.eye(3)[[0, 2]]
    f_v, f_b = tsae(windows(2, 7), windows(2, 7, 1), code)
    assert f_v.shape == f_b.shape == (2, 7, 16)
    # Same structure, separate weights.
    assert not torch.equal(tsae.vocal.out.weight, tsae.accompaniment.out.weight)


@pytest.mark.parametrize("t", [1, 5, 8, 37, 128])
def test_atm_shapes_and_attention_range(t: int) -> None:
    atm = ATM(32, 16)
    features = 5.0 * torch.randn(2, t, 32)
    with torch.no_grad():
        lm, att = atm(features)
    assert lm.shape == att.shape == (2, t, 32)
    assert float(att.min()) >= 0.0 and float(att.max()) <= 1.0
    assert torch.allclose(lm, att * features)
    assert TemporalUNet(32, 16)(torch.randn(1, 32, t)).shape == (1, 32, t)


@torch.no_grad()
def test_heads_shapes_and_ranges() -> None:
    x = 10.0 * torch.randn(2, 9, 20)
    expression = EGN(20, 32, 52)(x)
    assert expression.shape == (2, 9, 52)
    assert float(expression.min()) >= 0.0 and float(expression.max()) <= 1.0
    assert PoseMLP(20, 32, 6)(x).shape == (2, 9, 6)
    assert PGN(20, 32, 16, 6)(x).shape == (2, 9, 6)
    e_long = LongClosureMLP(20, 32)(x)
    assert e_long.shape == (2, 9) and 0.0 <= float(e_long.min()) <= float(e_long.max()) <= 1.0
    d = Discriminator(6, 52)(torch.randn(2, 128, 6), torch.rand(2, 128), torch.randn(2, 128, 52))
    assert d.shape == (2, 32)
    assert centre_frames(windows(2, 4), windows(2, 4, 1)).shape == (2, 4, 52)


def test_pgn_speed_direction_equation() -> None:
    """p_t = p_{t-1} + s_t ⊙ d_t with s_t = |MLP| ≥ 0 and d_t in (-1, 1): |p_t − p_{t-1}| ≤ s_t."""
    pgn = PGN(20, 32, 16, 6)
    x = torch.randn(1, 30, 20)
    with torch.no_grad():
        poses = pgn(x)
        s = pgn.speed(x)
    steps = torch.diff(torch.cat([torch.zeros(1, 1, 6), poses], dim=1), dim=1).abs()
    assert bool((steps <= s + 1e-6).all())
    assert float(s.min()) >= 0.0


@pytest.mark.parametrize("variant", VARIANTS)
def test_generator_variants(variant: str) -> None:
    m = model(variant, n_subjects=2)
    streams = [windows(2, 20, i) for i in range(m.n_streams)]
    with torch.no_grad():
        out = m(streams, torch.tensor([0, 1]))
    assert out.expression.shape == (2, 20, 52)
    assert out.pose.shape == (2, 20, 6)
    assert out.e_long.shape == (2, 20)
    assert (out.attention is not None) == (variant in ("with-atm", "full"))
    assert isinstance(m.pose_head, PGN) == (variant == "full")
    assert m.n_streams == (1 if variant == "single-stream" else 2)
    if out.attention is not None:
        for att in out.attention.values():
            assert att.shape == (2, 20, 32)
            assert 0.0 <= float(att.min()) and float(att.max()) <= 1.0


def test_subject_code_changes_the_output() -> None:
    m = model(n_subjects=3)
    streams = [windows(1, 12), windows(1, 12, 1)]
    with torch.no_grad():
        a = m(streams, torch.tensor([0])).expression
        b = m(streams, torch.tensor([2])).expression
    assert not torch.allclose(a, b)
    with pytest.raises(ValueError):
        m(streams, torch.tensor([3]))


@pytest.mark.parametrize("variant", ["two-stream", "full"])
def test_lips_that_hear_the_vocals_do_not_hear_the_accompaniment(variant: str) -> None:
    """lips_hear="vocals" (the default): another accompaniment leaves every jaw and mouth
    curve as it was and still moves the rest of the face; "both" (the paper's EGN, and
    every checkpoint from before the field) lets it move the lips too."""
    from core.face.arkit import LOWER_FACE

    upper = [c for c in range(52) if c not in LOWER_FACE]
    vocals = windows(1, 24)
    for lips_hear, lips_move in (("vocals", False), ("both", True)):
        m = model(variant, lips_hear=lips_hear)
        with torch.no_grad():
            a = m([vocals, windows(1, 24, 1)], torch.tensor([0])).expression[0]
            b = m([vocals, windows(1, 24, 2)], torch.tensor([0])).expression[0]
        lips = (a[:, list(LOWER_FACE)] - b[:, list(LOWER_FACE)]).abs().max()
        assert (float(lips) > 1e-4) is lips_move, lips_hear
        assert float((a[:, upper] - b[:, upper]).abs().max()) > 1e-4
    assert GeneratorConfig.from_dict({"variant": variant}).lips_hear == "both"
    with pytest.raises(BadInput):
        GeneratorConfig(lips_hear="guitar")


def test_pgn_is_causal() -> None:
    """Changing the audio after frame t leaves the pose up to t unchanged."""
    m = model("full")
    t = 30
    with torch.no_grad():
        # The PGN itself: its input after t changed, its output up to t did not.
        x = torch.randn(1, 60, m.config.pose_in_dim)
        x2 = x.clone()
        x2[:, t + 1 :] += 1.0
        p1, p2 = m.pose_head(x), m.pose_head(x2)
    assert torch.equal(p1[:, : t + 1], p2[:, : t + 1])
    assert not torch.allclose(p1[:, t + 1 :], p2[:, t + 1 :])


def test_generator_looks_ahead_only_through_the_atm_context() -> None:
    """End to end, the ATM's temporal U-Net sees ±24 frames; audio further ahead cannot matter."""
    m = model("full")
    vocals, accomp = windows(1, 120), windows(1, 120, 1)
    t, horizon = 40, 32
    changed_v, changed_a = vocals.clone(), accomp.clone()
    changed_v[:, t + horizon :] = torch.randn_like(changed_v[:, t + horizon :])
    changed_a[:, t + horizon :] = 3.0
    with torch.no_grad():
        pose = m([vocals, accomp], torch.tensor([0])).pose
        pose_changed = m([changed_v, changed_a], torch.tensor([0])).pose
    torch.testing.assert_close(pose[:, : t + 1], pose_changed[:, : t + 1], atol=1e-6, rtol=0)
    assert not torch.allclose(pose[:, t + horizon :], pose_changed[:, t + horizon :])


def test_window_rows_match_frame_windows() -> None:
    rng = np.random.default_rng(0)
    mfcc = rng.standard_normal((523, 26)).astype(np.float32)
    for fps in (30.0, 24.0, 29.97):
        n = int(5.2 * fps)
        rows = window_rows(len(mfcc), n, fps)
        assert rows.shape == (n, 39)
        np.testing.assert_array_equal(cut_windows(mfcc, rows), frame_windows(mfcc, n, fps))
        # A span's windows are the same as the whole song's, sliced.
        np.testing.assert_array_equal(
            cut_windows(mfcc, rows[40:90]), frame_windows(mfcc, n, fps)[40:90]
        )


@pytest.mark.parametrize("variant", ["single-stream", "two-stream", "full"])
def test_chunked_inference_equals_one_pass(variant: str) -> None:
    m = model(variant, chunk_frames=64, chunk_context=32)
    rng = np.random.default_rng(1)
    n_frames = 300
    mfccs = {
        s: rng.standard_normal((1010, 26)).astype(np.float32)
        for s in ("vocals", "accompaniment", "mixture")
    }
    curves = run_generator(m, Normalization.identity(), mfccs, n_frames)
    names = ("vocals", "accompaniment") if m.config.separated else ("mixture",)
    rows = window_rows(1010, n_frames, 30.0)
    streams = [torch.from_numpy(cut_windows(mfccs[s], rows))[None] for s in names]
    # The pose head's beat phase comes from the raw MFCC of the whole song.
    rhythm = torch.from_numpy(rhythm_features(mfccs["mixture"], n_frames, 30.0))[None]
    with torch.no_grad():
        out = m(streams, torch.tensor([0]), rhythm=rhythm)
    np.testing.assert_allclose(curves.expression, out.expression[0].numpy(), atol=1e-5)
    np.testing.assert_allclose(curves.pose, out.pose[0].numpy(), atol=1e-4)
    np.testing.assert_allclose(curves.e_long, out.e_long[0].numpy(), atol=1e-5)
    if variant == "full":
        assert curves.attention is not None and curves.attention.shape == (3, n_frames, 2)
        assert 0.0 <= curves.attention.min() and curves.attention.max() <= 1.0
    else:
        assert curves.attention is None


def test_pose_is_rescaled_to_radians_and_metres() -> None:
    m = model("two-stream")
    rng = np.random.default_rng(2)
    mfccs = {s: rng.standard_normal((400, 26)).astype(np.float32) for s in STREAMS}
    unit = run_generator(m, Normalization.identity(), mfccs, 100)
    norm = Normalization.identity()
    scaled = Normalization(
        norm.mfcc_mean, norm.mfcc_std, np.full(6, 0.1, np.float32), norm.expression_scale
    )
    small = run_generator(m, scaled, mfccs, 100)
    np.testing.assert_allclose(small.pose, 0.1 * unit.pose, rtol=1e-5, atol=1e-7)


def test_blink_sampler_statistics_and_seed() -> None:
    fps, seconds = 30.0, 600.0
    n = int(seconds * fps)
    blink = sample_blinks(n, fps, np.random.default_rng(7))
    assert blink.shape == (n,) and blink.dtype == np.float32
    assert 0.0 <= blink.min() and blink.max() <= 1.0
    closed = blink > 0
    onsets = np.flatnonzero(closed[1:] & ~closed[:-1]) + 1
    gaps = np.diff(onsets) / fps
    # Onset-to-onset gaps U(2.0, 3.6) s (±1 frame of quantisation): 0.36 blinks / s on average.
    assert gaps.min() >= 2.0 - 2 / fps and gaps.max() <= 3.6 + 2 / fps
    assert abs(len(onsets) / seconds - 1 / 2.8) < 0.03
    ends = np.flatnonzero(closed[:-1] & ~closed[1:]) + 1
    durations = (ends[: len(onsets)] - onsets[: len(ends)]) / fps
    assert durations.min() >= 0.10 - 2 / fps and durations.max() <= 0.45 + 1 / fps
    np.testing.assert_array_equal(blink, sample_blinks(n, fps, np.random.default_rng(7)))
    assert not np.array_equal(blink, sample_blinks(n, fps, np.random.default_rng(8)))


def test_eye_composite_keeps_long_closures_over_blinks() -> None:
    n = 90
    e_long = np.zeros(n, np.float32)
    e_long[30:60] = 0.9
    e_blink = np.zeros(n, np.float32)
    e_blink[10:14] = [0.5, 1.0, 1.0, 0.5]
    e_blink[40:44] = 1.0  # hidden by the long closure
    eye_long, eye_blink, e = compose_eye_state(e_long, e_blink, threshold=0.1, sigma_frames=0.0)
    np.testing.assert_array_equal(e[30:60], 0.9)
    np.testing.assert_array_equal(e[10:14], e_blink[10:14])
    assert eye_blink[40:44].max() == 0.0 and eye_long[:30].max() == 0.0
    np.testing.assert_array_equal(e, eye_long + eye_blink)
    _, _, smooth = compose_eye_state(e_long, e_blink, threshold=0.1, sigma_frames=1.5)
    assert smooth.max() <= 1.0 and smooth[29] > 0.0 and abs(smooth.sum() - e.sum()) < 0.05 * e.sum()


def test_eye_composite_drops_closures_shorter_than_min_frames() -> None:
    e_long = np.zeros(40, np.float32)
    e_long[[5, 10, 11]] = 0.8  # e_long grazing the threshold: no closure
    e_long[20:24] = 0.8  # a closure of 4 frames
    e_long[37:] = 0.8  # one at the end of the song
    eye_long, _, e = compose_eye_state(e_long, np.zeros(40), 0.5, 1.0, min_frames=3)
    assert np.flatnonzero(eye_long).tolist() == [20, 21, 22, 23, 37, 38, 39]
    assert e[:15].max() == 0.0 and e[21] > 0.5
    kept, _, _ = compose_eye_state(e_long, np.zeros(40), 0.5, 1.0)
    assert kept[5] == kept[10] == np.float32(0.8)  # min_frames=1 keeps every frame


def test_pose_head_reads_the_beat_phase() -> None:
    """The rhythm input moves the head only: expression and eyes do not read it."""
    m = model("full")
    streams = [torch.randn(1, 40, 39, 26) for _ in range(2)]
    phase = torch.from_numpy(beat_phase(np.arange(0.0, 2.0, 0.4), 40, 30.0))[None]
    with torch.no_grad():
        a = m(streams, torch.tensor([0]), rhythm=phase)
        b = m(streams, torch.tensor([0]), rhythm=-phase)
        none = m(streams, torch.tensor([0]))
        zero = m(streams, torch.tensor([0]), rhythm=torch.zeros_like(phase))
    assert not torch.allclose(a.pose, b.pose)
    assert torch.equal(a.expression, b.expression) and torch.equal(a.e_long, b.e_long)
    assert torch.equal(none.pose, zero.pose)  # no rhythm = a song without a tempo


def test_checkpoints_from_before_the_rhythm_input_still_load() -> None:
    old = {k: v for k, v in GeneratorConfig(**SMALL_MODEL).to_dict().items() if k != "rhythm_dim"}
    config = GeneratorConfig.from_dict(old)
    assert config.rhythm_dim == 0 and config.pose_in_dim == config.task_dim
    # Those from before `rhythm_source` read the beat of their last stream.
    before = {k: v for k, v in GeneratorConfig(**SMALL_MODEL).to_dict().items()}
    del before["rhythm_source"]
    assert GeneratorConfig.from_dict(before).rhythm_source == "accompaniment"
    single = {**before, "variant": "single-stream", "rhythm_source": "stream"}
    assert GeneratorConfig.from_dict(single).rhythm_source == "mixture"
    assert GeneratorConfig(**SMALL_MODEL).rhythm_source == "mixture"
    with pytest.raises(BadInput):
        GeneratorConfig(rhythm_source="drums")
    with pytest.raises(BadInput):
        GeneratorConfig(variant="single-stream", rhythm_source="accompaniment")
    m = MusicFaceGenerator(config)
    streams = [torch.randn(1, 12, 39, 26) for _ in range(2)]
    assert m(streams, torch.tensor([0])).pose.shape == (1, 12, 6)


def test_config_round_trip_and_validation() -> None:
    config = GeneratorConfig(variant="with-atm", n_subjects=4, blink_interval=(1.0, 1.5))
    assert GeneratorConfig.from_dict(config.to_dict()) == config
    with pytest.raises(BadInput):
        GeneratorConfig(variant="triple-stream")
    with pytest.raises(BadInput):
        GeneratorConfig.from_dict({**config.to_dict(), "mystery": 1})


def test_default_model_is_small() -> None:
    params = sum(p.numel() for p in MusicFaceGenerator(GeneratorConfig()).parameters())
    assert 200_000 < params < 2_000_000


def test_every_sampled_blink_closes_the_eye_fully() -> None:
    from scipy.ndimage import label

    from core.model.esgn import compose_eye_state, sample_blinks

    blink = sample_blinks(3000, 30.0, np.random.default_rng(4), duration=(0.10, 0.12))
    _, _, eye = compose_eye_state(np.zeros(3000), blink, 0.1, 1.0)
    events, count = label(eye > 0.05)
    assert count > 30
    peaks = [eye[events == k].max() for k in range(1, count + 1)]
    assert min(peaks) > 0.99  # even the shortest blinks shut, after the Gaussian filter
