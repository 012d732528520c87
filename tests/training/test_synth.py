"""The synthetic corpus: determinism, the dataset contract, and sane ground truth."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.face.arkit import ARKIT_INDEX, ARKIT_NAMES
from core.separation import dsp
from tests.conftest import run_train_cli
from training import metrics as M
from training.synth.corpus import fresh_clips, write_corpus
from training.synth.effects import compressor_gain, mp3_round_trip, reverb, room
from training.synth.espeak import speaker
from training.synth.melody import rhythm
from training.synth.phonemes import articulation, is_vowel
from training.synth.realism import Realism

SHORT = (6.0, 8.0)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus") / "c"
    write_corpus(out, songs=3, seed=11, test_fraction=0.34, seconds_range=SHORT)
    return out


@pytest.fixture(scope="module")
def clips() -> list:
    return list(fresh_clips(7, range(6), (8.0, 12.0), workers=2, stems="clean"))


def test_espeak_reports_timed_phonemes_in_two_languages() -> None:
    for voice, text in (("en-us", "hold me closer"), ("it+f2", "amore mio")):
        spoken = speaker().speak(text, voice)
        assert spoken.sr > 8000 and len(spoken.audio) > spoken.sr * 0.3
        starts = [p.start for p in spoken.phones]
        assert starts == sorted(starts)
        assert all(p.end > p.start for p in spoken.phones)
        assert spoken.phones[-1].end <= len(spoken.audio) / spoken.sr + 1e-6
        assert sum(is_vowel(p.name) for p in spoken.phones) >= 3
        assert any(c == "bilabial" for p in spoken.phones for _, c in articulation(p.name))


def test_rhythm_fills_the_line_and_holds_the_last_note() -> None:
    rng = np.random.default_rng(0)
    for n_units, n_notes in ((8, 1), (8, 8), (12, 5), (16, 6)):
        lengths = rhythm(rng, n_units, n_notes)
        assert len(lengths) == n_notes and sum(lengths) == n_units and min(lengths) >= 1
    with pytest.raises(ValueError):
        rhythm(rng, 4, 5)


def test_same_seed_same_clip_other_seed_other_clip() -> None:
    (a, b) = fresh_clips(3, [1, 1], SHORT, workers=2, stems="clean")
    (c,) = fresh_clips(4, [1], SHORT, stems="clean")
    assert a.id == b.id
    np.testing.assert_array_equal(a.mixture, b.mixture)
    for key in a.arrays:
        np.testing.assert_array_equal(a.arrays[key], b.arrays[key])
    assert a.mixture.shape != c.mixture.shape or not np.array_equal(a.mixture, c.mixture)


def test_corpus_is_deterministic(corpus: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    write_corpus(again, songs=3, seed=11, test_fraction=0.34, seconds_range=SHORT)
    assert (corpus / "manifest.json").read_text() == (again / "manifest.json").read_text()
    for path in sorted((corpus / "clips").glob("*.npz")):
        first, second = np.load(path), np.load(again / "clips" / path.name)
        for key in first.files:
            np.testing.assert_array_equal(first[key], second[key])


def test_corpus_follows_the_dataset_contract(corpus: Path) -> None:
    manifest = json.loads((corpus / "manifest.json").read_text())
    assert manifest["fps"] == 30.0
    assert manifest["expression_names"] == list(ARKIT_NAMES)
    assert len(manifest["subjects"]) >= 3
    generator = manifest["generator"]
    # The separator the features came from, and its version: the one a model needs.
    assert generator["separator"] == "dsp" and generator["separator_version"] == f"dsp{dsp.VERSION}"
    assert generator["dsp_version"] == dsp.VERSION
    assert generator["realism"]["mp3"] == Realism().mp3
    assert [c["split"] for c in manifest["clips"]] == ["train", "train", "test"]
    for entry in manifest["clips"]:
        assert entry["subject"] in manifest["subjects"]
        assert SHORT[0] - 1.0 <= entry["seconds"] <= SHORT[1] + 2.0
        data = np.load(corpus / "clips" / f"{entry['id']}.npz", allow_pickle=False)
        frames = int(np.ceil(round(entry["seconds"] * 30, 6)))
        n = len(data["vocals_mfcc"])
        assert abs(n - entry["seconds"] * 100) <= 3
        for key in ("vocals_mfcc", "accomp_mfcc", "mix_mfcc", "vocals_clean_mfcc"):
            assert data[key].shape == (n, 26) and data[key].dtype == np.float32
        # Training features come from the dsp separator (as at inference), not the true stems.
        assert not np.array_equal(data["vocals_mfcc"], data["vocals_clean_mfcc"])
        assert not np.array_equal(data["vocals_mfcc"], data["mix_mfcc"])
        assert data["expression"].shape == (frames, 52)
        assert data["pose"].shape == (frames, 6)
        assert data["eye"].shape == data["eye_long"].shape == (frames,)
        assert float(data["fps"]) == 30.0
        for key in ("expression", "eye", "eye_long"):
            assert data[key].min() >= 0.0 and data[key].max() <= 1.0
        # The mixture is the sum of its stems (up to 16-bit rounding; after mp3 coding,
        # up to the codec's error).
        mix, sr = sf.read(corpus / entry["mixture"], dtype="float32")
        vocals, _ = sf.read(corpus / entry["vocals"], dtype="float32")
        band, _ = sf.read(corpus / entry["accompaniment"], dtype="float32")
        assert mix.shape == band.shape == vocals.shape and mix.shape[1] == 2
        assert abs(len(mix) / sr - entry["seconds"]) < 0.01
        if entry["mp3_kbps"] is None:
            assert np.abs(mix - band - vocals).max() < 2e-4
        else:
            assert np.corrcoef(mix[:, 0], (band + vocals)[:, 0])[0, 1] > 0.95


def test_the_training_loader_reads_the_corpus(corpus: Path) -> None:
    from training.dataset import MusicFaceDataset

    train, test = MusicFaceDataset(corpus, "train"), MusicFaceDataset(corpus, "test")
    assert len(train.clips) == 2 and len(test.clips) == 1


def test_mouth_rests_in_silence_and_moves_when_singing(clips: list) -> None:
    for clip in clips:
        a = clip.arrays
        jaw = a["expression"][:, ARKIT_INDEX["jawOpen"]]
        lips = jaw - a["expression"][:, ARKIT_INDEX["mouthClose"]]
        silent = M.silent_frames(a["voice_activity"], a["breath"], 30.0)
        assert silent.sum() > 30  # every clip has an intro, outro, break or rests
        assert lips[silent].max() < 0.05
        assert jaw[a["voice_activity"].astype(bool)].mean() > 0.15


def test_lips_close_on_bilabials(clips: list) -> None:
    """At every /p b m/, where the face shows it: MOUTH_LEAD_S before it is heard."""
    from training.synth.visemes import MOUTH_LEAD_S

    checked = 0
    for clip in clips:
        a = clip.arrays
        e = a["expression"]
        for name, (start, end) in zip(a["phone_names"], a["phone_times"], strict=True):
            if name.lstrip("',") in ("p", "b", "m"):
                k = int(round(((start + end) / 2 - MOUTH_LEAD_S) * 30))
                if k < len(e):
                    lips = e[k, ARKIT_INDEX["jawOpen"]] - e[k, ARKIT_INDEX["mouthClose"]]
                    assert lips < 0.06, (clip.id, name, start)
                    assert e[k, ARKIT_INDEX["mouthPressLeft"]] > 0.05
                    checked += 1
    assert checked >= 5


def test_blinks_and_long_closures_follow_the_recipe(clips: list) -> None:
    durations, closures, seconds, count = [], 0, 0.0, 0
    for clip in clips:
        a = clip.arrays
        blinks = a["blinks"]
        if len(blinks) > 1:
            assert np.diff(blinks[:, 0]).min() >= 1.2 - 1e-9
        assert ((blinks[:, 1] - blinks[:, 0] >= 0.10) & (blinks[:, 1] - blinks[:, 0] <= 0.45)).all()
        measured, long = M.eye_events(a["eye"], 30.0)
        assert len(measured) == len(blinks) and len(long) == len(a["long_closures"])
        # Measured from the lid's first move to its last, a blink lasts its drawn duration
        # (which spans the half-closed part) plus ~30 ms of ramps, to within a frame.
        np.testing.assert_allclose(
            sorted(measured), sorted(blinks[:, 1] - blinks[:, 0] + 0.03), atol=1.5 / 30
        )
        assert all(d > 0.5 for d in long)
        assert (a["eye_long"] <= a["eye"] + 1e-6).all()
        durations += measured
        closures += len(long)
        seconds += clip.seconds
        count += len(measured)
    assert 0.3 < count / seconds < 0.7
    assert 0.2 < float(np.mean(durations)) < 0.4
    assert closures >= 1


def test_head_lands_on_the_beats_smoothly(clips: list) -> None:
    scores = []
    for clip in clips:
        a = clip.arrays
        scores.append(M.beat_alignment(a["beats"], M.motion_beats(a["pose"], 30.0), 30.0))
        assert scores[-1] > 0.6, clip.id
        # A singer's head turns on every beat at ~20°/s (peaks near 55°/s), which costs
        # roughness (rad² per frame⁴) up to ~1e-4; a tremor on top would add more
        # (tests/training/test_synth_head.py checks the spectrum for tremor).
        assert M.roughness(a["pose"]) < 2e-4, clip.id
        assert np.abs(a["pose"][:, :3]).max() < 0.6  # radians: a head, not a spinning top
        assert np.abs(a["pose"][:, 3:]).max() < 0.05  # metres
    assert float(np.mean(scores)) > 0.85


def test_corpus_mixes_languages_styles_and_tempi(clips: list) -> None:
    assert len({c.info["language"] for c in clips}) >= 2
    assert len({c.subject for c in clips}) >= 2
    bpms = [c.info["bpm"] for c in clips]
    assert min(bpms) >= 70 and max(bpms) <= 160 and max(bpms) - min(bpms) > 20


def test_synth_command_refuses_bad_arguments(tmp_path: Path, corpus: Path) -> None:
    bad = run_train_cli("synth", "--out", str(tmp_path / "x"), "--songs", "0")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    again = run_train_cli("synth", "--out", str(corpus), "--songs", "1")
    assert again.returncode == 2 and "already holds a corpus" in again.stderr


def test_synth_command_writes_a_corpus(tmp_path: Path) -> None:
    out = tmp_path / "one"
    done = run_train_cli(
        "--progress", "json", "synth", "--out", str(out), "--songs", "1", "--seed", "2",
        "--seconds", "5", "6", "--stems", "clean", "--workers", "1",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"done": str(out / "manifest.json")}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["generator"]["stems"] == "clean" and len(manifest["clips"]) == 1
    assert manifest["generator"]["separator"] == "clean"
    assert manifest["generator"]["separator_version"] is None
    assert manifest["generator"]["dsp_version"] is None
    assert (out / manifest["clips"][0]["mixture"]).is_file()


def test_a_lead_instrument_plays_where_nobody_sings() -> None:
    from training.synth.lead import play_lead
    from training.synth.music import BEATS_PER_BAR, random_plan

    sr, with_lead, only_outside_voice = 8000, 0, 0
    for seed in range(12):
        plan = random_plan(np.random.default_rng(seed), 12.0)
        lead = play_lead(np.random.default_rng(100 + seed), plan, sr)
        assert lead.dtype == np.float32 and len(lead) == int(np.ceil(plan.seconds * sr))
        if not lead.any():
            continue
        with_lead += 1
        assert np.abs(lead).max() == pytest.approx(1.0, abs=1e-6)
        bars = [
            lead[
                int(plan.time(b * BEATS_PER_BAR) * sr) : int(
                    plan.time((b + 1) * BEATS_PER_BAR) * sr
                )
            ]
            for b in range(plan.n_bars)
        ]
        sung = [np.abs(x).max() for x, r in zip(bars, plan.sections, strict=True) if r == "vocal"]
        free = [np.abs(x).max() for x, r in zip(bars, plan.sections, strict=True) if r != "vocal"]
        assert max(free) > 0.3  # it plays in the intro, breaks or outro
        # Under the voice it is silent or a softer doubling line (level 0.35 of 1).
        assert max(sung, default=0.0) < 0.6 * max(free)
        only_outside_voice += max(sung, default=0.0) == 0.0
    # Most songs have a lead, and most leads stop when the voice comes in.
    assert 6 <= with_lead <= 11 and only_outside_voice >= with_lead // 2


def test_synth_command_says_when_spleeter_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "models"
    empty.mkdir()
    monkeypatch.setenv("MODEL_PATH", str(empty))  # the child process reads it
    done = run_train_cli(
        "synth", "--out", str(tmp_path / "c"), "--songs", "1", "--separator", "spleeter"
    )
    assert done.returncode == 3 and "Traceback" not in done.stderr
    assert "spleeter" in done.stderr.lower() and not (tmp_path / "c" / "manifest.json").exists()


# The realism effects: each is present when its chance is 1, absent at 0, and draws
# from its own generator, so switching it leaves the rest of the clip unchanged.
@pytest.fixture(scope="module")
def with_and_without() -> dict[str, tuple]:
    """Clip 6 of seed 5 (it has a harmony and an answer) with one effect at a time."""
    off = Realism.off()
    variants = {
        "off": off,
        "backing": replace(off, backing=1.0),
        "rap": replace(off, rap=1.0),
        "reverb": replace(off, reverb=1.0, compression=1.0),
        "mp3": replace(off, mp3=1.0),
        "crowd": replace(off, choir=1.0, shouts=1.0, spoken=1.0, adlibs=1.0),
        "heavy": replace(off, guitar=1.0, trap_sung=1.0),
        "scream": replace(off, scream=1.0),
    }
    return {
        name: next(fresh_clips(5, [6], SHORT, stems="clean", realism=realism))
        for name, realism in variants.items()
    }


_TRUTH = ("expression", "pose", "eye", "eye_long", "voice_activity", "phone_times", "beats")


def test_backing_vocals_fill_the_vocal_stem_but_not_the_mouth(with_and_without: dict) -> None:
    dry, wet = with_and_without["off"], with_and_without["backing"]
    kinds = set(wet.info["backing"])
    assert dry.info["backing"] == [] and "answer" in kinds and kinds - {"answer"}
    for key in _TRUTH:  # the face follows the lead only
        np.testing.assert_array_equal(dry.arrays[key], wet.arrays[key])
    # The lead is untouched (up to the mixture's peak normalisation).
    unit = lambda x: x / np.abs(x).max()  # noqa: E731
    np.testing.assert_allclose(unit(dry.lead), unit(wet.lead), atol=1e-5)
    np.testing.assert_allclose(dry.vocals, dry.lead, atol=1e-6)
    others = (wet.vocals - wet.lead).mean(axis=1)
    sr, fps = wet.sr, 30.0
    sung = np.repeat(wet.arrays["voice_activity"].astype(bool), sr / fps)[: len(others)]
    energy_sung = float(np.mean(others[: len(sung)][sung] ** 2))
    lead_sung = float(np.mean(wet.lead.mean(axis=1)[: len(sung)][sung] ** 2))
    assert 0.01 < energy_sung / lead_sung < 1.0  # quieter voices along the lead
    jaw = wet.arrays["expression"][:, ARKIT_INDEX["jawOpen"]]
    (start, end), *_ = wet.arrays["backing_answers"]
    a, b = int(start * sr), int(end * sr)
    assert float(np.mean(others[a:b] ** 2)) > 0.02 * lead_sung  # a voice answers in the rest
    inside = slice(int(start * fps) + 1, int(end * fps))
    assert not wet.arrays["voice_activity"][inside].any()  # the lead rests
    assert jaw[inside].max() < 0.05  # with the mouth shut
    assert not np.array_equal(dry.mixture, wet.mixture)
    assert np.abs(wet.vocals[:, 0] - wet.vocals[:, 1]).max() > 1e-3  # panned


def test_rap_is_fast_and_level(with_and_without: dict) -> None:
    sung, rap = with_and_without["off"], with_and_without["rap"]
    assert rap.info["rap"] and not sung.info["rap"]

    def rate_and_spread(clip) -> tuple[float, float, float]:
        notes = clip.arrays["notes"]
        length = float(np.median(notes[:, 1] - notes[:, 0]))
        steps = np.abs(np.diff(notes[:, 2]))
        return len(notes) / float(np.sum(notes[:, 1] - notes[:, 0])), length, float(steps.mean())

    rap_rate, rap_length, rap_step = rate_and_spread(rap)
    sung_rate, sung_length, sung_step = rate_and_spread(sung)
    beat = 60.0 / rap.info["bpm"]
    assert rap_length <= beat / 2 + 1e-6 < sung_length or rap_rate > 1.5 * sung_rate
    assert rap_step < 1.5 and rap_step < sung_step  # the pitch barely moves
    # The mouth still follows every syllable.
    assert len(rap.arrays["phone_names"]) > len(sung.arrays["phone_names"])


def test_reverb_rings_on_after_the_voice_and_compression_evens_it() -> None:
    sr = 8000
    rng = np.random.default_rng(0)
    dry = np.zeros(sr * 2, np.float32)
    dry[: sr // 2] = np.sin(2 * np.pi * 220 * np.arange(sr // 2) / sr)
    wet = reverb(dry, room(rng, sr, 1.2), 0.4)
    assert wet.shape == (len(dry), 2)
    tail = slice(sr // 2 + sr // 10, sr)
    assert float(np.mean(wet[tail] ** 2)) > 1e-4 and not np.any(dry[tail])
    assert np.abs(wet[:, 0] - wet[:, 1]).max() > 1e-3  # a wide room
    assert reverb(dry, room(np.random.default_rng(0), sr, 1.2), 0.4).tobytes() == wet.tobytes()
    loud_quiet = np.concatenate([dry[: sr // 2], 0.1 * dry[: sr // 2]])
    squashed = loud_quiet * compressor_gain(loud_quiet, sr, -12.0, 4.0)
    # Steady parts: the second quarter second (loud) against the last (quiet).
    steady_loud, quiet = slice(sr // 4, sr // 2), slice(-sr // 4, None)
    before = np.abs(loud_quiet[steady_loud]).max() / np.abs(loud_quiet[quiet]).max()
    after = np.abs(squashed[steady_loud]).max() / np.abs(squashed[quiet]).max()
    assert after < 0.5 * before  # 20 dB apart before; 9 dB less after (-12 dB, 4:1)


def test_voice_effects_in_a_clip(with_and_without: dict) -> None:
    dry, wet = with_and_without["off"], with_and_without["reverb"]
    assert "reverb" in wet.info and "voice_compression" in wet.info
    for key in _TRUTH:
        np.testing.assert_array_equal(dry.arrays[key], wet.arrays[key])
    last = float(wet.arrays["phone_times"][-1, 1])
    after = slice(int((last + 0.05) * wet.sr), int((last + 0.3) * wet.sr))
    assert float(np.mean(wet.vocals[after] ** 2)) > 10 * float(np.mean(dry.vocals[after] ** 2))


def test_mp3_round_trip_dulls_the_high_band() -> None:
    sr = 22050
    rng = np.random.default_rng(1)
    t = np.arange(sr) / sr
    audio = (0.1 * rng.normal(size=(sr, 2)) + 0.3 * np.sin(2 * np.pi * 440 * t)[:, None]).astype(
        np.float32
    )
    coded = mp3_round_trip(audio, sr, 64)
    assert coded.shape == audio.shape and coded.dtype == np.float32
    spectrum = lambda x: np.abs(np.fft.rfft(x[:, 0])) ** 2  # noqa: E731
    freqs = np.fft.rfftfreq(sr, 1 / sr)
    high = freqs > 8000
    assert spectrum(coded)[high].sum() < 0.85 * spectrum(audio)[high].sum()
    assert np.corrcoef(coded[:, 0], audio[:, 0])[0, 1] > 0.9  # aligned, same song
    np.testing.assert_array_equal(coded, mp3_round_trip(audio, sr, 64))


def test_mp3_changes_the_mixture_not_the_stems(with_and_without: dict) -> None:
    dry, coded = with_and_without["off"], with_and_without["mp3"]
    assert coded.info["mp3_kbps"] in (64, 96, 128, 160, 192) and dry.info["mp3_kbps"] is None
    np.testing.assert_array_equal(dry.vocals, coded.vocals)
    np.testing.assert_array_equal(dry.accompaniment, coded.accompaniment)
    assert not np.array_equal(dry.mixture, coded.mixture)
    assert not np.array_equal(dry.arrays["mix_mfcc"], coded.arrays["mix_mfcc"])


def test_other_voices_sound_in_the_lead_s_rests_with_the_mouth_shut(with_and_without: dict) -> None:
    """Choirs, shouts, spoken lines and ad-libs (crowd.py) go into the vocal stem where the
    lead rests; the face is the lead's alone, so its mouth is shut there."""
    dry, crowd = with_and_without["off"], with_and_without["crowd"]
    assert dry.info["crowd"] == [] and set(crowd.info["crowd"]) >= {"choir"}
    for key in _TRUTH:
        np.testing.assert_array_equal(dry.arrays[key], crowd.arrays[key])
    spans = crowd.arrays["other_voices"]
    assert len(spans) >= 2 and len(dry.arrays["other_voices"]) == 0
    fps, sr = 30.0, crowd.sr
    others = (crowd.vocals - crowd.lead).mean(axis=1)
    jaw = crowd.arrays["expression"][:, ARKIT_INDEX["jawOpen"]]
    sung = crowd.arrays["voice_activity"].astype(bool)
    heard = 0
    for start, end in spans:
        frames = np.arange(int(np.ceil(start * fps)), min(int(end * fps), len(jaw)))
        away = frames[~np.isin(frames, np.flatnonzero(np.convolve(sung, np.ones(13), "same")))]
        assert jaw[away].max(initial=0.0) < 0.05  # the lead is away: its mouth is shut
        heard += float(np.mean(others[int(start * sr) : int(end * sr)] ** 2)) > 1e-6
    assert heard == len(spans)
    np.testing.assert_allclose(
        dry.accompaniment / np.abs(dry.accompaniment).max(),
        crowd.accompaniment / np.abs(crowd.accompaniment).max(),
        atol=1e-5,
    )


def test_distorted_guitars_and_a_trap_beat_go_to_the_band_only(with_and_without: dict) -> None:
    dry, heavy = with_and_without["off"], with_and_without["heavy"]
    assert {"guitar", "trap"} <= set(heavy.info["layers"]) and not dry.info["layers"]
    for key in _TRUTH:
        np.testing.assert_array_equal(dry.arrays[key], heavy.arrays[key])
    unit = lambda x: x / np.abs(x).max()  # noqa: E731
    np.testing.assert_allclose(unit(dry.vocals), unit(heavy.vocals), atol=1e-5)
    assert not np.allclose(unit(dry.accompaniment), unit(heavy.accompaniment), atol=1e-2)


def test_a_screamed_lead_is_harsh_but_sings_the_same_face(with_and_without: dict) -> None:
    from scipy.signal import stft

    dry, screamed = with_and_without["off"], with_and_without["scream"]
    assert screamed.info["scream"] and not dry.info["scream"]
    for key in _TRUTH:
        np.testing.assert_array_equal(dry.arrays[key], screamed.arrays[key])

    def flatness(audio: np.ndarray) -> float:
        _, _, z = stft(audio.mean(axis=1), 22050, nperseg=1024)
        power = np.abs(z) ** 2 + 1e-12
        loud = power.sum(axis=0) > 0.1 * power.sum(axis=0).max()
        geometric = np.exp(np.log(power[:, loud]).mean(axis=0))
        return float(np.median(geometric / power[:, loud].mean(axis=0)))

    assert flatness(screamed.lead) > 3 * flatness(dry.lead)  # noise where harmonics were


def test_a_corpus_remouthed_gets_the_mouth_a_new_synth_would_give(
    with_and_without: dict, tmp_path: Path
) -> None:
    """The mouth depends only on the stored phones, notes, breaths, style and voice: made
    again from them it is the clip's own, to the bit; the eyes are kept."""
    from training.synth.remouth import remouthed

    for name in ("off", "rap", "crowd"):
        clip = with_and_without[name]
        again = remouthed(clip.arrays, clip.subject, str(clip.info["voice"]))
        np.testing.assert_array_equal(again, clip.arrays["expression"])
    done = run_train_cli("remouth", "--data", str(tmp_path / "none"), "--out", str(tmp_path / "o"))
    assert done.returncode == 2 and "manifest.json" in done.stderr
