"""The mouth rests where only other voices or instruments sound: songs of the kinds that
fooled the lips.

Test-only songs (training/hard_songs.py's own seed) through the engine as a user runs it:
the shipped model, the released Spleeter weights, the mouth gate with its lead detector.
The model of 2026-12-01 (whose lips heard the band too, trained on a corpus without these
kinds, with the first lead detector) kept the mouth shut in 8 % of this call and response
song's answers and 53 % of this ad-libs song's (it passes the lead instrument); over three
songs per kind, 31 % and 40 % (benchmarks/hard_songs.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.separation import spleeter_backend
from training import hard_songs as H

# Where the kind sounds and the lead is away, the mouth is shut in at least this share
# (the model of 2026-12-03: 67 %, 96 % and 100 % on these songs) ...
CLOSED = 0.6
# ... and jawOpen ranks frames where the lead sings above those where it is away (0.94,
# 0.91, 0.92).
AUC = 0.85
# (kind, song number): the first song of each kind where it sounds while the lead rests,
# and, for ad-libs, the first whose other singer is not alone in the intro: a single
# voice before the lead has entered is one the engine cannot tell from the lead (song 1).
SONGS = (("call and response", 0), ("ad-libs", 2), ("lead instrument", 1))


@pytest.fixture(scope="module")
def songs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    if not spleeter_backend.availability()[0]:
        pytest.skip("the released Spleeter weights are not installed (make setup)")
    from training.synth.corpus import fresh_clips

    folder = tmp_path_factory.mktemp("hard_songs")
    made = {}
    for kind, number in SONGS:
        index = list(H.KINDS).index(kind) * 1000 + number
        clip = next(fresh_clips(H.SEED, [index], (12.0, 18.0), 1, "clean", H.kind_realism(kind)))
        made[kind] = H.write_song(clip, folder)
    return made


@pytest.mark.parametrize("kind", [kind for kind, _ in SONGS])
def test_the_mouth_rests_where_only_others_sound(songs: dict, kind: str) -> None:
    from core.generate import generate
    from core.separation import separate
    from core.voice_gate import vocal_level_db

    song, truth_path = songs[kind]
    take = generate(song)
    truth = H.read_truth(truth_path, take.frames)
    heard = separate(song, "auto")
    level = vocal_level_db(heard.vocals, heard.sr, take.frames, take.fps)
    frames = H.kind_frames(truth, H.KINDS[kind][1], level)
    assert frames.sum() >= 15  # the kind is there, where the lead rests
    scores = H.score_jaw(take.expression[:, H.JAW], truth, frames)
    assert scores["closed"] >= CLOSED, scores
    assert scores["auc"] >= AUC, scores
    # ... and the mouth still sings with the lead.
    assert np.mean(take.expression[truth.sung, H.JAW]) > 0.08
