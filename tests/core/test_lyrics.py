"""Lyrics: reading them, refusing what is not lyrics, the viseme table, alignment of a song
made here through the real separator, and `generate --lyrics` against plain generate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.audio import write_wav
from core.cli import main as run_cli
from core.face.arkit import ARKIT_INDEX
from core.lyrics.align import AlignedWord
from core.lyrics.language import guess_language
from core.lyrics.text import parse_lyrics
from core.lyrics.visemes import apply_visemes, lips_closed, phone_shapes

FPS = 30.0


def test_plain_text_and_lrc_lines():
    lines = parse_lyrics("¿Qué pasa?  l'amour\n\n  embrasse-moi, encore!\n", lrc=False)
    assert [line.words for line in lines] == [
        ("Qué", "pasa", "l'amour"),
        ("embrasse-moi", "encore"),
    ]
    lrc = parse_lyrics("[ar: someone]\n[00:12.50]first line\n[00:05.00][01:00.00]chorus\n", True)
    assert [(line.words, line.start) for line in lrc] == [
        (("chorus",), 5.0),
        (("first", "line"), 12.5),
        (("chorus",), 60.0),
    ]


def test_pasted_section_headers_are_not_sung_and_repeat_marks_repeat_the_line():
    text = "[Chorus]\nLa la la (x2)\n[Verse 2: Someone]\noh no\n[3x]\nbye 2x\nx marks the spot\n"
    assert [line.words for line in parse_lyrics(text, lrc=False)] == [
        ("La", "la", "la"),
        ("La", "la", "la"),
        ("oh", "no"),
        ("oh", "no"),
        ("oh", "no"),
        ("bye",),
        ("bye",),
        ("x", "marks", "the", "spot"),
    ]


def test_the_language_is_guessed_from_common_words():
    def guess(text: str) -> str:
        return guess_language(parse_lyrics(text, lrc=False))

    assert guess("je ne sais pas pourquoi tu es là") == "fr"
    assert guess("yo no sé por qué me dejas") == "es"
    assert guess("ich liebe dich und du mich nicht") == "de"
    assert guess("you and me in the night") == "en"


@pytest.mark.parametrize(
    ("content", "language", "message"),
    [
        (b"", "auto", "no lyrics"),
        (b"\n  \n\t\n", "auto", "no lyrics"),
        (bytes(range(256)) * 8, "auto", "not a text file"),
        (b"hello there\n", "xx-nonsense", "unsupported lyrics language"),
    ],
)
def test_bad_lyrics_exit_2_and_write_nothing(tmp_path, capsys, content, language, message):
    lyrics = tmp_path / "lyrics.txt"
    lyrics.write_bytes(content)
    song = tmp_path / "song.wav"
    write_wav(song, np.zeros((16000, 1), np.float32), 16000)
    out = tmp_path / "words.csv"
    code = run_cli(["align", str(song), str(lyrics), "-o", str(out), "--language", language])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not out.exists()


@pytest.mark.parametrize(("kind", "message"), [("missing", "not found"), ("folder", "not a file")])
def test_lyrics_that_are_no_file_exit_2(tmp_path, capsys, kind, message):
    lyrics = tmp_path / "lyrics"
    if kind == "folder":
        lyrics.mkdir()
    song = tmp_path / "song.wav"
    write_wav(song, np.zeros((16000, 1), np.float32), 16000)
    assert run_cli(["align", str(song), str(lyrics), "-o", str(tmp_path / "w.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_lyrics_far_too_long_for_the_song_exit_2(tmp_path, capsys):
    song = tmp_path / "song.wav"
    rng = np.random.default_rng(0)
    write_wav(song, (0.1 * rng.standard_normal((3 * 16000, 1))).astype(np.float32), 16000)
    lyrics = tmp_path / "lyrics.txt"
    lyrics.write_text(("the long and winding road " * 20 + "\n") * 10)
    out = tmp_path / "words.csv"
    stems = ["--vocals", str(song), "--accompaniment", str(song)]
    code = run_cli(["align", str(song), str(lyrics), "-o", str(out), *stems])
    assert code == 2
    assert "far too long" in capsys.readouterr().err
    assert not out.exists()


def _word(name: str, phones: list[tuple[str, float, float]]) -> AlignedWord:
    return AlignedWord(name, 0, phones[0][1], phones[-1][2], tuple(phones), False)


def test_the_viseme_table_closes_the_lips_on_p_b_m_and_rounds_them_on_u():
    times = np.arange(0, 3.0, 1 / FPS)
    for bilabial in ("p", "b", "m"):
        words = [_word("ama", [("'a", 0.5, 1.0), (bilabial, 1.0, 1.12), ("a", 1.12, 1.6)])]
        open_take = np.zeros((len(times), 52), np.float32)
        open_take[:, ARKIT_INDEX["jawOpen"]] = 0.5  # the model's mouth wide open throughout
        shaped = apply_visemes(open_take, FPS, words, strength=0.5)
        at = (times + 0.08 >= 1.02) & (times + 0.08 <= 1.1)  # the shape leads the sound
        assert lips_closed(shaped)[at].all(), bilabial
        vowel = (times + 0.08 >= 0.6) & (times + 0.08 <= 0.9)
        assert not lips_closed(shaped)[vowel].any()
    shapes, _ = phone_shapes([_word("tu", [("t", 0.5, 0.6), ("'u", 0.6, 1.2)])], times)
    during = (times + 0.08 >= 0.8) & (times + 0.08 <= 1.1)
    assert shapes[during, ARKIT_INDEX["mouthPucker"]].min() > 0.5
    assert shapes[during, ARKIT_INDEX["mouthFunnel"]].min() > 0.3


def test_strength_0_changes_nothing():
    rng = np.random.default_rng(1)
    take = rng.random((90, 52)).astype(np.float32)
    words = [_word("ma", [("m", 0.5, 0.6), ("'a", 0.6, 1.2)])]
    assert np.array_equal(apply_visemes(take, FPS, words, 0.0), take)


_MAKE_SONG = """
import json, sys
from pathlib import Path
from core.audio import write_wav
from training.lyrics_songs import lyrics_song
folder, kwargs = Path(sys.argv[1]), json.loads(sys.argv[2])
made = lyrics_song(seconds=25.0, **kwargs)
write_wav(folder / "song.wav", made.mix, made.sr)
(folder / "lyrics.txt").write_text("\\n".join(" ".join(line) for line in made.lines) + "\\n")
truth = [[w.word, w.line, w.start, w.end] for w in made.words]
(folder / "truth.json").write_text(json.dumps(truth))
"""


def made_song(folder: Path, **kwargs) -> tuple[Path, Path, list]:
    """A song sung by the corpus's singer over its band: (song, lyrics, its true words).
    Made in a process of its own: eSpeak NG's synthesis carries state
    from one utterance to the next (its glottal phase), so the same seed made after other
    speech in a process sounds slightly different, and a test's outcome would depend on
    the tests before it."""
    subprocess.run(
        [sys.executable, "-c", _MAKE_SONG, str(folder), json.dumps(kwargs)],
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    from training.lyrics_songs import SungWord

    truth = json.loads((folder / "truth.json").read_text())
    return folder / "song.wav", folder / "lyrics.txt", [SungWord(*row) for row in truth]


@pytest.fixture(scope="module")
def sung_song(tmp_path_factory) -> tuple[Path, Path, list]:
    """An English song with true word onsets and lines."""
    return made_song(tmp_path_factory.mktemp("sung"), seed=1, language="en")


def test_alignment_of_a_sung_song_through_the_separator(sung_song, tmp_path, monkeypatch):
    song, lyrics, truth = sung_song
    monkeypatch.setenv("MUSICFACE_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "words.csv"
    assert run_cli(["align", str(song), str(lyrics), "-o", str(out)]) == 0
    rows = [line.split(",") for line in out.read_text().splitlines()]
    assert rows[0][:3] == ["word_start", "word_end", "word"]
    assert [r[2] for r in rows[1:]] == [w.word for w in truth]
    error = np.abs(np.array([float(r[0]) for r in rows[1:]]) - [w.start for w in truth])
    # On such songs (6 made alike, 102 words) 88 % of onsets fall within 0.15 s; a word
    # pulled across a rest into the line before is the usual miss.
    assert np.median(error) <= 0.05
    assert np.mean(error <= 0.15) >= 0.85, error.round(2)


def test_generate_without_lyrics_is_unchanged_and_with_them_records_the_words(
    sung_song, tmp_path, monkeypatch
):
    from core.generate import generate
    from core.performance import Performance

    song, lyrics, truth = sung_song
    monkeypatch.setenv("MUSICFACE_CACHE", str(tmp_path / "cache"))
    plain, shaped = tmp_path / "plain.npz", tmp_path / "lyrics.npz"
    assert run_cli(["generate", str(song), "-o", str(plain), "--separator", "dsp"]) == 0
    code = run_cli(
        ["generate", str(song), "-o", str(shaped), "--separator", "dsp", "--lyrics", str(lyrics)]
    )
    assert code == 0
    direct = generate(song, separator="dsp")
    a, b = Performance.load(plain), Performance.load(shaped)
    assert np.array_equal(a.expression, direct.expression)
    assert np.array_equal(a.pose, direct.pose)
    assert "lyrics" not in a.meta
    words = b.meta["lyrics"]["words"]
    assert [w["word"] for w in words] == [w.word for w in truth]
    mouth = [i for i in range(52) if i != ARKIT_INDEX["eyeBlinkLeft"]]
    assert not np.array_equal(a.expression[:, mouth], b.expression[:, mouth])
    assert np.array_equal(a.pose, b.pose)
    assert json.loads(json.dumps(b.meta))["lyrics"]["strength"] == 0.5


@pytest.mark.parametrize("seed, language", [(10, "es"), (12, "de")])
def test_a_sung_phrase_missing_from_the_lyrics_does_not_drag_a_line_over_it(
    seed, language, tmp_path, monkeypatch
):
    """Published lyrics leave out backing chants and ad-libs; the lines around one stay put.
    Without the aligner's state for such singing, 45 % of the Spanish song's onsets were
    within 0.3 s; while that state took quiet frames as cheaply as a rest, the German
    song's mean onset error was 1.5 s (4 of its 6 words within 0.3 s)."""
    song, lyrics, truth = made_song(tmp_path, seed=seed, language=language, unlisted=2)
    out = tmp_path / "words.csv"
    monkeypatch.setenv("MUSICFACE_CACHE", str(tmp_path / "cache"))
    assert run_cli(["align", str(song), str(lyrics), "-o", str(out), "--language", language]) == 0
    onsets = [float(line.split(",")[0]) for line in out.read_text().splitlines()[1:]]
    error = np.abs(np.array(onsets) - [w.start for w in truth])
    assert np.mean(error <= 0.3) >= 0.75, error.round(2)
    assert np.mean(error) <= 0.5, error.round(2)


def test_lrc_time_tags_hold_each_line_near_its_tag(sung_song, tmp_path, monkeypatch):
    """Tags half a second late: each line starts within the tolerance of its tag, and the
    words still land on their sung onsets."""
    song, lyrics, truth = sung_song
    monkeypatch.setenv("MUSICFACE_CACHE", str(tmp_path / "cache"))
    lines = lyrics.read_text().splitlines()
    starts = [next(w.start for w in truth if w.line == i) + 0.5 for i in range(len(lines))]
    lrc = tmp_path / "lyrics.lrc"
    lrc.write_text("".join(f"[00:{s:05.2f}]{t}\n" for s, t in zip(starts, lines, strict=True)))
    out = tmp_path / "words.csv"
    assert run_cli(["align", str(song), str(lrc), "-o", str(out)]) == 0
    rows = [r.split(",") for r in out.read_text().splitlines()[1:]]
    for i, start in enumerate(starts):
        first = next(float(r[0]) for r in rows if int(r[3]) == i)
        assert start - 1.0 - 0.021 <= first <= start + 1.0 + 0.021
    error = np.abs(np.array([float(r[0]) for r in rows]) - [w.start for w in truth])
    assert np.median(error) <= 0.05


def test_a_word_with_no_phones_is_spread_between_its_neighbours_and_flagged():
    from core.lyrics.activity import Activity
    from core.lyrics.align import FPS as ALIGN_FPS
    from core.lyrics.align import align_words
    from core.lyrics.phones import CEPSTRA, VARIANTS, WordPhones
    from core.lyrics.text import Line

    def word(text: str, phones: tuple[str, ...]) -> WordPhones:
        templates = np.zeros((len(VARIANTS), len(phones), CEPSTRA), np.float32)
        return WordPhones(text, 0, phones, (0.1,) * len(phones), templates)

    words = [word("ma", ("m", "'a")), word("♥", ()), word("ma", ("m", "'a"))]
    t = np.arange(int(4 * ALIGN_FPS)) / ALIGN_FPS
    sung = ((t > 0.5) & (t < 1.2)) | ((t > 2.5) & (t < 3.2))  # two sung notes
    rng = np.random.default_rng(0)
    activity = Activity(
        sung=np.where(sung, 0.99, 0.01),
        under_peak=np.zeros(len(t)),
        cepstra=rng.standard_normal((len(t), CEPSTRA)).astype(np.float32),
    )
    aligned = align_words(words, [Line(("ma", "♥", "ma"))], activity)
    assert [w.word for w in aligned] == ["ma", "♥", "ma"]
    assert [w.interpolated for w in aligned] == [False, True, False]
    assert aligned[0].end <= aligned[1].start <= aligned[1].end <= aligned[2].start
    assert abs(aligned[0].start - 0.5) < 0.1 and abs(aligned[2].start - 2.5) < 0.1


def test_a_vowel_is_not_held_through_the_next_syllables_onsets():
    """One line sung straight into the next, then a later note: the first line's vowel
    does not swallow the next line's syllables (each starts with a rise of the level)
    while they are laid on the later note (without the onset price they were)."""
    from core.lyrics.activity import Activity
    from core.lyrics.align import FPS as ALIGN_FPS
    from core.lyrics.align import align_words
    from core.lyrics.phones import CEPSTRA, VARIANTS, WordPhones
    from core.lyrics.text import Line

    def word(text: str, phones: tuple[str, ...], line: int) -> WordPhones:
        templates = np.zeros((len(VARIANTS), len(phones), CEPSTRA), np.float32)
        return WordPhones(text, line, phones, (0.1,) * len(phones), templates)

    words = [word("ma", ("m", "'a"), 0)]
    words += [word("la", ("l", "'a"), 1) for _ in range(4)] + [word("na", ("n", "'a"), 2)]
    t = np.arange(int(8 * ALIGN_FPS)) / ALIGN_FPS
    sung = ((t > 0.5) & (t < 3.0)) | ((t > 5.0) & (t < 7.0))
    rise = np.zeros(len(t))
    for onset in (0.5, 1.0, 1.5, 2.0, 2.5, 5.0):
        rise[int(onset * ALIGN_FPS) + 1] = 12.0  # dB
    activity = Activity(
        sung=np.where(sung, 0.99, 0.01),
        under_peak=np.zeros(len(t)),
        cepstra=np.random.default_rng(0).standard_normal((len(t), CEPSTRA)).astype(np.float32),
        rise=rise,
    )
    lines = [Line(("ma",)), Line(("la",) * 4), Line(("na",))]
    starts = [w.start for w in align_words(words, lines, activity)]
    assert abs(starts[0] - 0.5) < 0.1 and abs(starts[1] - 1.0) < 0.1
    assert all(s < 3.0 for s in starts[1:5]) and abs(starts[5] - 5.0) < 0.1


def test_a_chant_line_lays_one_word_on_each_of_its_notes():
    """ "la la la la" sung as four notes two seconds apart, then the next line: each "la"
    on its note (priced as in-line pauses, the four were crammed into two notes)."""
    from core.lyrics.activity import Activity
    from core.lyrics.align import FPS as ALIGN_FPS
    from core.lyrics.align import align_words
    from core.lyrics.phones import CEPSTRA, VARIANTS, WordPhones
    from core.lyrics.text import Line

    def word(text: str, phones: tuple[str, ...], line: int) -> WordPhones:
        templates = np.zeros((len(VARIANTS), len(phones), CEPSTRA), np.float32)
        return WordPhones(text, line, phones, (0.1,) * len(phones), templates)

    words = [word("la", ("l", "'a"), 0) for _ in range(4)]
    words.append(word("mañana", ("m", "a", "J", "'a", "n", "a"), 1))
    t = np.arange(int(10 * ALIGN_FPS)) / ALIGN_FPS
    notes = (0.5, 2.5, 4.5, 6.5, 8.0)
    sung = np.zeros(len(t), bool)
    for start in notes:
        sung |= (t > start) & (t < start + 0.8)
    activity = Activity(
        sung=np.where(sung, 0.99, 0.01),
        under_peak=np.zeros(len(t)),
        cepstra=np.random.default_rng(0).standard_normal((len(t), CEPSTRA)).astype(np.float32),
        rise=np.zeros(len(t)),
    )
    aligned = align_words(words, [Line(("la",) * 4), Line(("mañana",))], activity)
    assert np.allclose([w.start for w in aligned], notes, atol=0.1)


def test_a_long_spelt_interjection_is_one_sung_vowel():
    """Spanish eSpeak reads "ooh" as two vowels ('o o): merged into one note, so an
    "ooh ooh ooh" line counts as a chant of one-syllable words."""
    from core.lyrics.phones import merge_repeated_vowels, word_phones
    from core.lyrics.text import Line

    names, seconds, templates = merge_repeated_vowels(
        ["'o", "o", "l", "a", "'a"], [0.1, 0.2, 0.05, 0.1, 0.1], np.arange(10.0).reshape(1, 5, 2)
    )
    assert names == ["'o", "l", "a"] and np.allclose(seconds, [0.3, 0.05, 0.2])
    assert templates[0].tolist() == [[0.0, 1.0], [4.0, 5.0], [6.0, 7.0]]
    words = word_phones([Line(("ooh", "ooh", "alimenta"))], "es")
    assert [w.syllables for w in words] == [1, 1, 4]
    assert words[0].templates.shape[1] == len(words[0].phones)


def test_two_held_vowels_in_a_row_are_not_laid_inside_one_note():
    """ "ooh ooh" sung as two held notes 1.5 s apart: each "ooh" on its own note (without
    the price of a vowel entered with no re-attack both went inside the second note, the
    first note left to singing the lyrics lack)."""
    from core.lyrics.activity import Activity
    from core.lyrics.align import FPS as ALIGN_FPS
    from core.lyrics.align import align_words
    from core.lyrics.phones import CEPSTRA, VARIANTS, WordPhones
    from core.lyrics.text import Line

    def word(text: str, phones: tuple[str, ...], line: int) -> WordPhones:
        templates = np.zeros((len(VARIANTS), len(phones), CEPSTRA), np.float32)
        return WordPhones(text, line, phones, (0.1,) * len(phones), templates)

    words = [word("ma", ("m", "'a"), 0), word("ooh", ("'u:",), 1), word("ooh", ("'u:",), 1)]
    words.append(word("na", ("n", "'a"), 2))
    t = np.arange(int(14 * ALIGN_FPS)) / ALIGN_FPS
    notes = ((0.5, 1.0), (3.0, 5.0), (6.5, 8.5), (11.0, 11.5))
    sung = np.zeros(len(t), bool)
    rise = np.zeros(len(t))
    for start, end in notes:
        sung |= (t > start) & (t < end)
        rise[int(start * ALIGN_FPS) + 1] = 20.0  # dB: each note is attacked
    activity = Activity(
        sung=np.where(sung, 0.99, 0.01),
        under_peak=np.zeros(len(t)),
        cepstra=np.random.default_rng(0).standard_normal((len(t), CEPSTRA)).astype(np.float32),
        rise=rise,
    )
    lines = [Line(("ma",)), Line(("ooh", "ooh")), Line(("na",))]
    starts = [w.start for w in align_words(words, lines, activity)]
    assert np.allclose(starts, [start for start, _ in notes], atol=0.1)


def test_a_held_note_that_drifts_from_its_vowel_keeps_its_word():
    """A chant line of four held "ooh" notes, each attacked like an "ooh" and then sung
    away from it (as held notes drift), after a short "ah" ad-lib: each "ooh" on its
    note and the next line on its own. When a held vowel paid for every frame unlike its
    templates, a note of seconds was cheaper as singing the lyrics lack: the first
    "ooh" went to the ad-lib and the next line onto the last "ooh" note."""
    from core.lyrics.align import FPS as ALIGN_FPS
    from core.lyrics.align import TEMPLATE_WEIGHT, _chain, emission_costs, viterbi
    from core.lyrics.phones import CEPSTRA, VARIANTS, WordPhones

    def word(text: str, phones: tuple[str, ...], line: int) -> WordPhones:
        templates = np.zeros((len(VARIANTS), len(phones), CEPSTRA), np.float32)
        return WordPhones(text, line, phones, (0.1,) * len(phones), templates)

    words = [word("ma", ("m", "'a"), 0)] + [word("ooh", ("'u:",), 1) for _ in range(4)]
    words.append(word("na", ("n", "'a"), 2))
    t = np.arange(int(28 * ALIGN_FPS)) / ALIGN_FPS
    adlib = (1.8, 2.3)
    notes = ((0.5, 1.2), (3.0, 7.0), (8.0, 12.0), (13.0, 17.0), (18.0, 22.0), (25.0, 25.8))
    sung = np.zeros(len(t), bool)
    for a, b in (*notes, adlib):
        sung |= (t > a) & (t < b)
    chain, phones = _chain(words, 20.0)
    u = [p for p, (_, _, name) in enumerate(phones) if name == "'u:"]
    phone_costs = np.zeros((len(t), len(phones)))  # relative to all phones: 0 is average
    for a, b in notes[1:5]:
        phone_costs[np.ix_((t > a) & (t < a + 0.4), u)] = -TEMPLATE_WEIGHT
        phone_costs[np.ix_((t > a + 0.4) & (t < b), u)] = TEMPLATE_WEIGHT
    phone_costs[np.ix_((t > adlib[0]) & (t < adlib[1]), u)] = TEMPLATE_WEIGHT
    costs = emission_costs(np.where(sung, 0.99, 0.01), np.zeros(len(t)))
    lo, hi = np.zeros(len(chain.kind), np.int64), np.full(len(chain.kind), len(t) - 1)
    phone = chain.phone_of[viterbi(chain, costs, phone_costs, lo, hi)]
    firsts = [p for p, (_, index, _) in enumerate(phones) if index == 0]
    starts = [t[np.argmax(phone == p)] for p in firsts]
    assert np.allclose(starts, [a for a, _ in notes], atol=0.1)


def test_the_second_pass_learns_each_phone_from_the_frames_laid_on_it():
    """Every phone named alike gets the mean of the sung frames the first pass laid any of
    them on (in the frames' z-scored space); a phone heard too briefly stays unknown."""
    from core.lyrics.activity import Activity
    from core.lyrics.align import ADAPT_MIN_FRAMES, sung_templates
    from core.lyrics.phones import CEPSTRA

    n = 4 * ADAPT_MIN_FRAMES
    cepstra = np.random.default_rng(0).standard_normal((n, CEPSTRA)).astype(np.float32)
    activity = Activity(sung=np.full(n, 0.99), under_peak=np.zeros(n), cepstra=cepstra)
    phones = [(0, 0, "m"), (0, 1, "'a"), (1, 0, "a")]  # "'a" and "a" are one phone
    path = np.full(n, -1)
    path[: ADAPT_MIN_FRAMES // 2] = 0  # "m": too few frames
    path[ADAPT_MIN_FRAMES : 2 * ADAPT_MIN_FRAMES] = 1
    path[3 * ADAPT_MIN_FRAMES :] = 2
    own = sung_templates(phones, path, activity)
    x = (cepstra - cepstra.mean(axis=0)) / cepstra.std(axis=0)
    a = x[(path == 1) | (path == 2)].mean(axis=0)
    assert np.isnan(own[0]).all()
    assert np.allclose(own[1], a, atol=1e-5) and np.allclose(own[2], a, atol=1e-5)
