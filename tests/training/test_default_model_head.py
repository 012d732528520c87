"""The shipped model's head moves like the synthetic performer it learned from.

Issue 11's targets on the synthetic test split: mean angular speed within ±20 %
of the truth, rotation spread per axis within ±30 %, roughness at most twice the
truth's, and beat alignment at least the truth's. Measured here on clips of a
seed the model never trained on (the shipped model's corpus uses seed 0), with
the separator `auto` uses, as at inference.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.separation.spleeter_backend import availability
from training.evaluate import evaluate
from training.synth.corpus import write_corpus

DEFAULT = Path(__file__).resolve().parents[2] / "core" / "assets" / "default.pt"


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict:
    if not availability()[0]:
        pytest.skip("needs the released Spleeter weights (make setup), as the model was trained")
    data = tmp_path_factory.mktemp("heldout") / "corpus"
    write_corpus(data, songs=5, seed=1011, test_fraction=0.8, workers=2, stems="spleeter")
    return evaluate(data, [DEFAULT], separator="auto")


def test_the_head_moves_as_fast_and_as_far_as_the_performer_and_as_smoothly(
    result: dict,
) -> None:
    """Measured: speed 16.1 against 18.0 °/s, spread 2.15/2.20/2.27 against
    2.81/2.76/2.65°, roughness 2.8 against 3.3 (1e-5). The model shipped before moved
    at a third of the speed; the candidate before it was 2.5x rougher than the truth."""
    truth, model = result["rows"][0], result["rows"][1]
    assert 0.8 <= model["head_speed_deg_s"] / truth["head_speed_deg_s"] <= 1.2
    for axis in ("pitch", "roll", "yaw"):
        assert 0.7 <= model[f"{axis}_std_deg"] / truth[f"{axis}_std_deg"] <= 1.3, axis
    assert model["roughness"] <= 2.0 * truth["roughness"]


@pytest.mark.xfail(
    strict=True,
    reason="issue 11 item 4: beat alignment 0.851 against the performer's 0.864 on these "
    "clips (0.867 against 0.875 on the corpus's test split); a random head scores 0.33",
)
def test_the_head_turns_on_the_beat_at_least_as_the_performer_does(result: dict) -> None:
    truth, model = result["rows"][0], result["rows"][1]
    assert model["beat_alignment"] >= truth["beat_alignment"]
