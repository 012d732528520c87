"""Text → speech audio and timed phonemes, through eSpeak NG's C API (ctypes).

eSpeak NG reports a phoneme event with its audio position for every phoneme it
speaks (espeakINITIALIZE_PHONEME_EVENTS), which is exactly the ground truth the
mouth needs. The `espeakng-loader` wheel ships the library and its data, so
nothing is downloaded. The library keeps global state, so one process holds one
engine; `Speaker` is created lazily per process. That state also drifts from
utterance to utterance (pitch flutter and noise phases that no API resets), so
the same text spoken twice differs slightly: reproducible corpora are made one
clip per fresh process (see corpus.py).
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass

import numpy as np

from core.errors import MissingModel

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_EVENT_LIST_TERMINATED = 0
_EVENT_PHONEME = 7
_EE_OK = 0


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    # Layout of espeak_EVENT in speak_lib.h.
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_Callback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass(frozen=True)
class Phone:
    """One phoneme as eSpeak names it (stress marks included), with times in seconds."""

    name: str
    start: float
    end: float


@dataclass(frozen=True)
class Utterance:
    audio: np.ndarray  # float32 mono at `sr`
    sr: int
    phones: tuple[Phone, ...]  # pauses removed, times relative to `audio`


class Speaker:
    """A handle on the process's eSpeak NG engine."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as err:
            raise MissingModel("espeakng-loader is not installed; run `make setup`") from err
        self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self._lib.espeak_Initialize.argtypes = [
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_char_p,
            ctypes.c_int,
        ]
        self._lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self._lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        data = espeakng_loader.get_data_path().encode()
        self.sr = int(
            self._lib.espeak_Initialize(
                _AUDIO_OUTPUT_SYNCHRONOUS, 0, data, _INITIALIZE_PHONEME_EVENTS
            )
        )
        if self.sr <= 0:
            raise MissingModel("eSpeak NG failed to initialise (espeakng-loader data missing?)")
        self._chunks: list[np.ndarray] = []
        self._events: list[tuple[str, int]] = []
        # Keep a reference: ctypes would free the trampoline otherwise.
        self._callback = _Callback(self._collect)
        self._lib.espeak_SetSynthCallback(self._callback)
        self._lock = threading.Lock()
        # Fricative noise comes from libc's rand() (and eSpeak NG's own generator in
        # newer builds), seeded from the clock: reseed both before every utterance.
        self._libc = ctypes.CDLL(None)
        self._set_seed = getattr(self._lib, "espeak_ng_SetRandSeed", None)
        if self._set_seed is not None:
            self._set_seed.argtypes = [ctypes.c_long]

    def _collect(self, wav, n_samples: int, events) -> int:  # noqa: ANN001 - ctypes pointers
        if n_samples > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n_samples,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == _EVENT_PHONEME:
                self._events.append((event.id.string.decode("ascii", "replace"), event.sample))
            i += 1
        return 0

    def has_voice(self, voice: str) -> bool:
        """Whether eSpeak NG speaks `voice` (a language such as "fr" or "en-us")."""
        with self._lock:
            return bool(self._lib.espeak_SetVoiceByName(voice.encode()) == _EE_OK)

    def speak(self, text: str, voice: str) -> Utterance:
        """Speak `text` with eSpeak voice `voice` (e.g. "en-us+f3", "it")."""
        with self._lock:
            if self._lib.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
                raise MissingModel(f"eSpeak NG has no voice {voice!r}")
            self._chunks.clear()
            self._events.clear()
            self._libc.srand(1)
            if self._set_seed is not None:
                self._set_seed(1)
            data = text.encode("utf-8") + b"\0"
            self._lib.espeak_Synth(data, len(data), 0, 0, 0, 0, None, None)
            self._lib.espeak_Synchronize()
            chunks, events = list(self._chunks), list(self._events)
        audio = (
            np.concatenate(chunks).astype(np.float32) / 32768.0
            if chunks
            else np.zeros(0, np.float32)
        )
        return Utterance(audio=audio, sr=self.sr, phones=_timed_phones(events, len(audio), self.sr))


def _timed_phones(events: list[tuple[str, int]], n_samples: int, sr: int) -> tuple[Phone, ...]:
    """Phoneme events → (name, start, end); a phone ends where the next one starts."""
    phones = []
    for k, (name, sample) in enumerate(events):
        end_sample = events[k + 1][1] if k + 1 < len(events) else n_samples
        end_sample = min(max(end_sample, sample), n_samples)
        if name.startswith("_") or not name.strip() or end_sample <= sample:
            continue  # pauses and zero-length markers carry no articulation
        phones.append(Phone(name=name, start=sample / sr, end=end_sample / sr))
    return tuple(phones)


_SPEAKER: Speaker | None = None


def speaker() -> Speaker:
    """The process's engine (eSpeak NG is a global C library: one per process)."""
    global _SPEAKER
    if _SPEAKER is None:
        _SPEAKER = Speaker()
    return _SPEAKER
