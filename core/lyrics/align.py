"""Lyrics → word and phone times in the separated vocal stream: two Viterbi passes.

The lyrics become a left-to-right chain of states: a rest before the first line, then
every phone of every word (a phone lasts at least a few frames, as long as a fraction
of its spoken duration), a rest that may be skipped between two words, and a rest that
may be skipped between two lines. Each frame of the vocal stream says how likely a
voice sings there (core/lyrics/activity.py) and where syllables peak; the best path
through the chain is found exactly (Viterbi), so a line cannot drift across an
instrumental break the way a frame-to-frame warp of synthetic speech does: rests absorb
unsung frames cheaply, phones pay for them, and no phone may be laid on silence for
free.

Costs per frame (negative log-likelihoods, plus fixed prices):
- a vowel pays -log P(sung), plus a little for lying under its syllable's loudest
  point (vowels are the loud part of a syllable);
- a voiced consonant pays less for quiet frames, an unvoiced one (s, t, f …) little;
- a rest pays -log P(not sung); singing the lyrics lack (BACKING) pays a fixed price
  per frame and BACKING_SUNG of a vowel's -log P(sung);
- holding a vowel on through a sharp rise of the level (the next syllable's onset)
  costs per dB of the rise: a vowel is one syllable, so a line is not squeezed onto a
  single held note while its neighbour's syllables are sung; the other way round,
  starting a vowel right after a vowel ("ooh ooh") where the level does not rise costs
  a fixed price: a new syllable is a re-attack;
- a phone reads how like its templates a frame sounds, relative to all phones; a vowel
  held past its minimum frames only gains from that, never pays (a held note drifts);
- staying in a state costs nothing for a vowel (singers hold vowels for seconds) and a
  little per frame for a consonant (consonants do not stretch), entering a rest
  between words costs a fixed price, so words are not cut apart by every dip (inside a
  chant line, "ooh ooh ooh", pauses are priced as between lines: each word is a note).

The phones' templates are first eSpeak's (core/lyrics/phones.py); the second pass
averages each with the frames the first pass laid that phone on, so the path hears the
phones as this singer sings them (words within 0.3 s on the dev songs 82 → 85 %).

An `.lrc` line's time tag holds the line inside a window around it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter1d

from core.errors import BadInput
from core.lyrics.activity import Activity
from core.lyrics.phones import WordPhones
from core.lyrics.text import Line
from core.phonemes import base_name, is_vowel
from core.progress import ProgressFn, no_progress, scaled

FPS = 50.0  # alignment frames per second (20 ms)
MIN_SHARE = 0.35  # a phone lasts at least this share of its spoken duration
MAX_MIN_FRAMES = 4
CONSONANT_STAY = 0.25  # per frame a consonant is held beyond its minimum
VOWEL_STAY = 0.05  # per frame a vowel is held beyond its minimum
VOWEL_MIN_SHARE = 0.4
MAX_VOWEL_FRAMES = 15
WORD_REST_ENTRY = 3.0  # price of a rest between two words of a line
# Per frame of such a rest: pauses inside a line are short, so a line's first word is
# not left alone on a stray sound far before the rest of its line.
WORD_REST_STAY = 0.2
LINE_REST_ENTRY = 0.5  # price of a rest between two lines
PEAK_WEIGHT = 0.08  # per dB a vowel lies under its syllable's loudest point
PEAK_SLACK_DB = 3.0
ONSET_WEIGHT = 0.3  # per dB the level rises (a syllable's onset) while a vowel is held
ONSET_SLACK_DB = 4.0
# A vowel right after a vowel ("ooh ooh", "la ola") is a new syllable only where the
# voice re-attacks it: entering it costs this much where the level rises by less than
# HIATUS_RISE_DB (scaled down as the rise grows), so two held words are not laid inside
# one held note while the next notes go to singing the lyrics lack.
HIATUS_PRICE = 5.0
HIATUS_RISE_DB = 6.0
TEMPLATE_WEIGHT = 0.3  # per frame, on the z-scored squared cepstral distance
ADAPT_MIN_FRAMES = 20  # sung frames a phone needs in the first pass to be learnt
LRC_TOLERANCE_S = 1.0  # an .lrc line starts within this of its time tag
# Singing the lyrics do not have (backing chants, ad-libs, an unlisted chorus): between
# two lines, and after the last, a state that takes any frame at a small price per frame
# but a large one to enter, so only a long stretch of such singing uses it instead of
# stretching a neighbouring line over it. It is singing, so it pays BACKING_SUNG of a
# vowel's price for frames that do not sound sung: without it, the quiet before a line
# was as cheap to it as to a rest, and a line next to unlisted singing was pulled into
# the singing. The quiet after it is a rest of its own. (0.5 chosen on the dev songs
# among 0, 0.25, 0.5, 0.75 and 1.)
BACKING_ENTRY = 20.0
BACKING_STAY = 0.02
BACKING_SUNG = 0.5
_UNVOICED = frozenset("p t k f T s S h x C tS ts ? Q".split())
_VOICED_CONSONANT_FLOOR = 0.25  # P(sung) a voiced consonant reads as at worst
_UNVOICED_FLOOR = 0.6
_EPS = 1e-4
_MAX_ADVANCE = 4  # states the path may advance in one frame (a word, then three skippable)

# State kinds.
REST, VOWEL, VOICED, UNVOICED, BACKING = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class AlignedWord:
    word: str
    line: int
    start: float
    end: float
    phones: tuple[tuple[str, float, float], ...]  # (eSpeak name, start, end) in seconds
    interpolated: bool  # not placed by the aligner: spread between its neighbours


def _kind(phone: str) -> int:
    if is_vowel(phone):
        return VOWEL
    base = base_name(phone)
    return UNVOICED if base in _UNVOICED or base[:1] in _UNVOICED else VOICED


@dataclass
class _Chain:
    kind: np.ndarray  # (S,) state kind
    stay: np.ndarray  # (S,) cost of staying a frame (inf: must move on)
    enter: np.ndarray  # (S,) cost of entering
    skippable: np.ndarray  # (S,) bool: the path may jump over this state
    phone_of: np.ndarray  # (S,) global phone index, -1 for rests
    line_of: np.ndarray  # (S,) lyric line of the state (rests: the line they precede)
    hiatus: np.ndarray  # (S,) bool: first frame of a vowel right after a vowel (hiatus)


def _chant_lines(words: list[WordPhones]) -> set[int]:
    """Lines that repeat a few short words ("ooh ooh ooh", "na na na nay", "terre terre
    terre"): each word is a note of its own, often held, with pauses between them as long
    as between lines, so a pause inside such a line is priced as one between lines."""
    by_line: dict[int, list[WordPhones]] = {}
    for word in words:
        if word.phones:
            by_line.setdefault(word.line, []).append(word)
    return {
        line
        for line, own in by_line.items()
        if len(own) >= 3
        and all(w.syllables <= 1 for w in own)
        and len({w.word.lower() for w in own}) <= len(own) / 2
    }


def _chain(
    words: list[WordPhones], vowel_frames: float
) -> tuple[_Chain, list[tuple[int, int, str]]]:
    """The state chain, and (word, phone index, name) for every phone in order. A vowel
    lasts at least VOWEL_MIN_SHARE of `vowel_frames` (the song's mean sung frames per
    vowel), a consonant MIN_SHARE of its spoken duration."""
    kind, stay, enter, skip, phone_of, line_of = [], [], [], [], [], []
    hiatus: list[bool] = []
    phones: list[tuple[int, int, str]] = []

    def add(
        k: int, s: float, e: float, skippable: bool, phone: int, line: int, onset: bool = False
    ) -> None:
        kind.append(k)
        stay.append(s)
        enter.append(e)
        skip.append(skippable)
        phone_of.append(phone)
        line_of.append(line)
        hiatus.append(onset)

    chants = _chant_lines(words)
    add(REST, 0.0, 0.0, True, -1, 0)
    previous_line = 0
    for w, word in enumerate(words):
        if not word.phones:
            continue
        if phones:
            if word.line != previous_line:
                add(REST, 0.0, LINE_REST_ENTRY, True, -1, word.line)
                add(BACKING, BACKING_STAY, BACKING_ENTRY, True, -1, word.line)
                add(REST, 0.0, 0.0, True, -1, word.line)
            elif word.line in chants:
                add(REST, 0.0, LINE_REST_ENTRY, True, -1, word.line)
            else:
                add(REST, WORD_REST_STAY, WORD_REST_ENTRY, True, -1, word.line)
        previous_line = word.line
        for p, (name, seconds) in enumerate(zip(word.phones, word.durations, strict=True)):
            k = _kind(name)
            frames = int(np.clip(round(MIN_SHARE * seconds * FPS), 1, MAX_MIN_FRAMES))
            if k == VOWEL:
                frames = max(frames, min(int(VOWEL_MIN_SHARE * vowel_frames), MAX_VOWEL_FRAMES))
            after_vowel = k == VOWEL and bool(phones) and is_vowel(phones[-1][2])
            for i in range(frames):
                last = i == frames - 1
                s = (VOWEL_STAY if k == VOWEL else CONSONANT_STAY) if last else np.inf
                add(k, s, 0.0, False, len(phones), word.line, after_vowel and i == 0)
            phones.append((w, p, name))
    add(REST, 0.0, LINE_REST_ENTRY, True, -1, previous_line)
    add(BACKING, BACKING_STAY, BACKING_ENTRY, True, -1, previous_line)
    add(REST, 0.0, 0.0, True, -1, previous_line)
    chain = _Chain(
        kind=np.array(kind, np.int64),
        stay=np.array(stay, np.float64),
        enter=np.array(enter, np.float64),
        skippable=np.array(skip, bool),
        phone_of=np.array(phone_of, np.int64),
        line_of=np.array(line_of, np.int64),
        hiatus=np.array(hiatus, bool),
    )
    return chain, phones


def _zscore(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    ref = x[rows] if rows.any() else x
    return (x - ref.mean(axis=0)) / np.maximum(ref.std(axis=0), 1e-6)


def _distances(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """(T, P) mean squared distance between each frame of `x` and each row of `m`."""
    return ((x * x).sum(axis=1)[:, None] - 2.0 * x @ m.T + (m * m).sum(axis=1)[None, :]) / x.shape[
        1
    ]


def template_costs(
    words: list[WordPhones], activity: Activity, own: np.ndarray | None = None
) -> np.ndarray:
    """(T, P) how unlike each phone's eSpeak templates each frame sounds, relative to the
    mean over all phones at that frame (negative: more alike than most). `own` (P, C):
    the phones as this singer sings them (z-scored like the frames; NaN rows: unknown),
    averaged with eSpeak's."""
    templates = np.concatenate([w.templates for w in words if w.phones], axis=1)  # (V, P, C)
    sung = activity.sung > 0.5
    x = _zscore(activity.cepstra.astype(np.float64), sung)
    best = None
    for variant in templates:
        d = _distances(x, _zscore(variant.astype(np.float64), np.ones(len(variant), bool)))
        best = d if best is None else np.minimum(best, d)
    assert best is not None
    if own is not None:
        # Half eSpeak's voices, half the singer's own: the first pass that gave `own`
        # misplaced some lines, and eSpeak's phones keep them from learning themselves.
        known = ~np.isnan(own).any(axis=1)
        best = np.where(known[None, :], 0.5 * (_distances(x, np.nan_to_num(own)) + best), best)
    return best - best.mean(axis=1, keepdims=True)


def sung_templates(
    phones: list[tuple[int, int, str]], phone_frames: np.ndarray, activity: Activity
) -> np.ndarray:
    """(P, C) each phone's mean z-scored cepstrum over the sung frames a first pass laid
    every phone of its name on (NaN where fewer than ADAPT_MIN_FRAMES)."""
    sung = activity.sung > 0.5
    x = _zscore(activity.cepstra.astype(np.float64), sung)
    names = [base_name(name) for _, _, name in phones]
    frame_name = np.array([names[p] if p >= 0 else "" for p in phone_frames], object)
    out = np.full((len(phones), x.shape[1]), np.nan)
    for name in set(names):
        rows = sung & (frame_name == name)
        if rows.sum() >= ADAPT_MIN_FRAMES:
            mean = x[rows].mean(axis=0)
            for p, n in enumerate(names):
                if n == name:
                    out[p] = mean
    return out


def emission_costs(sung: np.ndarray, under_peak: np.ndarray) -> np.ndarray:
    """(T, 5) cost of each state kind at each frame."""
    p = np.clip(sung, _EPS, 1.0 - _EPS)
    peak = PEAK_WEIGHT * np.maximum(-under_peak - PEAK_SLACK_DB, 0.0)
    return np.stack(
        [
            -np.log(1.0 - p),
            -np.log(p) + peak,
            -np.log(_VOICED_CONSONANT_FLOOR + (1 - _VOICED_CONSONANT_FLOOR) * p),
            -np.log(_UNVOICED_FLOOR + (1 - _UNVOICED_FLOOR) * p),
            -BACKING_SUNG * np.log(p),
        ],
        axis=1,
    )


def _windows(chain: _Chain, lines: list[Line], n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """(S,) first and last frame each state may occupy: the whole song, or around an .lrc
    line's time tag (a line's first phone starts within LRC_TOLERANCE_S of its tag, and
    the line runs to the next line's tag)."""
    lo = np.zeros(len(chain.kind), np.int64)
    hi = np.full(len(chain.kind), n_frames - 1, np.int64)
    starts = [line.start for line in lines]
    if all(s is None for s in starts):
        return lo, hi
    tol = LRC_TOLERANCE_S * FPS
    for i, start in enumerate(starts):
        if start is None:
            continue
        nxt = next((s for s in starts[i + 1 :] if s is not None), None)
        mask = (chain.line_of == i) & (chain.phone_of >= 0)
        if not mask.any():
            continue
        lo[mask] = max(0, int(start * FPS - tol))
        if nxt is not None:
            hi[mask] = min(n_frames - 1, int(nxt * FPS + tol))
        first = int(np.argmax(mask))
        hi[first] = min(hi[first], int(start * FPS + tol))
    return lo, hi


def viterbi(
    chain: _Chain,
    costs: np.ndarray,
    phone_costs: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    progress: ProgressFn = no_progress,
    hold_costs: np.ndarray | None = None,
    hiatus_costs: np.ndarray | None = None,
) -> np.ndarray:
    """(T,) the state of every frame on the cheapest path through the chain. `hold_costs`
    (T,): what holding a vowel on into each frame costs beyond its stay price;
    `hiatus_costs` (T,): what entering a vowel right after a vowel costs there."""
    n_frames, n_states = len(costs), len(chain.kind)
    vowel = chain.kind == VOWEL
    hold = np.zeros(n_frames) if hold_costs is None else hold_costs
    emission_of = chain.kind
    # Advancing k states in one frame jumps the k - 1 between, which must all be
    # skippable: between lines sit three (a rest, singing the lyrics do not have, a rest).
    can_advance = np.zeros((_MAX_ADVANCE + 1, n_states), bool)
    can_advance[1, 1:] = True
    for k in range(2, _MAX_ADVANCE + 1):
        can_advance[k, k:] = can_advance[k - 1, k:] & chain.skippable[1 : n_states - k + 1]
    first = np.full(n_states, np.inf)
    first[0] = 0.0
    if chain.skippable[0]:
        first[1] = chain.enter[1]
    back = np.zeros((n_frames, n_states), np.uint8)
    # Rests and singing the lyrics lack read no template: a zero column, the mean over
    # the phones. A vowel held past its minimum reads its templates only where it sounds
    # more like its phone than most: a held note drifts in timbre (vibrato, pitch, the
    # vowel sung open), and paying for that every frame made a note of a few seconds
    # cheaper as singing the lyrics lack, so a chant line's "ooh" lost its note and the
    # lines after it moved a note early (Fantasma 1.33 → 0.48 s mean onset error).
    n_phones = phone_costs.shape[1]
    phone_costs = np.concatenate(
        [phone_costs, np.zeros((len(phone_costs), 1)), np.minimum(phone_costs, 0.0)], axis=1
    )
    column = np.where(chain.phone_of >= 0, chain.phone_of, n_phones)
    held = vowel & np.isfinite(chain.stay)
    column[held] = n_phones + 1 + chain.phone_of[held]
    d = first + costs[0, emission_of] + phone_costs[0, column]
    d[(lo > 0)] = np.inf
    for t in range(1, n_frames):
        stay = d + chain.stay
        if hold[t]:
            stay[vowel] += hold[t]
        enter = chain.enter
        if hiatus_costs is not None and hiatus_costs[t]:
            enter = enter + hiatus_costs[t] * chain.hiatus
        # The back pointer is how many states the best path advanced into this one (on a
        # tie, the fewer).
        best, advance = stay, np.zeros(n_states, np.uint8)
        for k in range(1, _MAX_ADVANCE + 1):
            into = np.full(n_states, np.inf)
            into[k:] = np.where(can_advance[k, k:], d[:-k] + enter[k:], np.inf)
            better = into < best
            best = np.where(better, into, best)
            advance[better] = k
        back[t] = advance
        outside = (t < lo) | (t > hi)
        d = best + costs[t, emission_of] + phone_costs[t, column]
        d[outside] = np.inf
        if t % 500 == 0:
            progress("align", t / n_frames)
    ends = [n_states - 1]
    while chain.skippable[ends[-1]] and ends[-1] > 0:
        ends.append(ends[-1] - 1)
    state = min(ends, key=lambda s: d[s])
    if not np.isfinite(d[state]):
        raise BadInput("the lyrics do not fit the song (too many words for its sung time)")
    path = np.empty(n_frames, np.int64)
    for t in range(n_frames - 1, -1, -1):
        path[t] = state
        state -= int(back[t, state])
    return path


def _interpolate(
    words: list[AlignedWord | None], all_words: list[WordPhones], end: float
) -> list[AlignedWord]:
    """Words the chain held no phone for, spread evenly between their placed neighbours."""
    out: list[AlignedWord] = []
    i = 0
    while i < len(words):
        placed = words[i]
        if placed is not None:
            out.append(placed)
            i += 1
            continue
        j = i
        while j < len(words) and words[j] is None:
            j += 1
        t0 = out[-1].end if out else 0.0
        nxt = words[j] if j < len(words) else None
        t1 = nxt.start if nxt is not None else min(end, t0 + 0.3 * (j - i))
        step = max(t1 - t0, 0.0) / (j - i)
        for k in range(i, j):
            s = t0 + step * (k - i)
            out.append(AlignedWord(all_words[k].word, all_words[k].line, s, s + step, (), True))
        i = j
    return out


def align_words(
    words: list[WordPhones],
    lines: list[Line],
    activity: Activity,
    progress: ProgressFn = no_progress,
) -> list[AlignedWord]:
    """Times of every word (and its phones) from the per-frame activity at FPS."""
    sung = activity.sung
    n_frames = len(sung)
    consonants = sum(not is_vowel(p) for w in words for p in w.phones)
    vowels = max(1, sum(w.syllables for w in words))
    sung_frames = float(np.sum(sung)) - consonants * 2
    chain, phones = _chain(words, max(sung_frames, vowels) / vowels)
    if not phones:
        raise BadInput("eSpeak NG found nothing to sing in the lyrics")
    needed = int(np.sum(np.isinf(chain.stay))) + len(phones)
    if needed > 0.9 * n_frames:
        raise BadInput(
            f"the lyrics are far too long for the song: {len(words)} words need at least "
            f"{needed / FPS:.0f} s of singing, the song lasts {n_frames / FPS:.0f} s"
        )
    lo, hi = _windows(chain, lines, n_frames)
    costs = emission_costs(sung, activity.under_peak)
    phone_costs = TEMPLATE_WEIGHT * template_costs(words, activity)
    hold = None
    if activity.rise is not None:
        hold = ONSET_WEIGHT * np.maximum(activity.rise - ONSET_SLACK_DB, 0.0)
    hiatus_costs = None
    if activity.rise is not None and HIATUS_PRICE > 0:
        near = maximum_filter1d(activity.rise, 5, mode="nearest")
        hiatus_costs = HIATUS_PRICE * np.clip(1.0 - near / HIATUS_RISE_DB, 0.0, 1.0)
    path = viterbi(
        chain, costs, phone_costs, lo, hi, scaled(progress, 0.0, 0.5), hold, hiatus_costs
    )
    # A second pass hears the phones as this singer sings them: each phone's templates
    # are averaged with the mean of the frames the first pass laid it on.
    own = sung_templates(phones, chain.phone_of[path], activity)
    phone_costs = TEMPLATE_WEIGHT * template_costs(words, activity, own)
    path = viterbi(
        chain, costs, phone_costs, lo, hi, scaled(progress, 0.5, 1.0), hold, hiatus_costs
    )
    phone_frames = chain.phone_of[path]
    spans: dict[int, list[int]] = {}
    for t, p in enumerate(phone_frames):
        if p >= 0:
            span = spans.setdefault(int(p), [t, t])
            span[1] = t
    placed: list[AlignedWord | None] = [None] * len(words)
    by_word: dict[int, list[tuple[str, float, float]]] = {}
    for p, (w, _, name) in enumerate(phones):
        a, b = spans[p]
        by_word.setdefault(w, []).append((name, a / FPS, (b + 1) / FPS))
    for w, timed in by_word.items():
        placed[w] = AlignedWord(
            words[w].word, words[w].line, timed[0][1], timed[-1][2], tuple(timed), False
        )
    return _interpolate(placed, words, n_frames / FPS)
