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


@pytest.mark.xfail(
    strict=True,
    reason="issue 11 item 4 is open: the shipped model moves at about a third of the "
    "performer's speed (6.4 against 18.0 °/s on the corpus's test split) and with "
    "a quarter to two thirds of its spread; a model retrained with the new loss "
    "reached speed and spread but was 2.5x rougher than the truth, so it was not shipped",
)
def test_the_head_moves_as_fast_and_as_far_as_the_performer(result: dict) -> None:
    truth, model = result["rows"][0], result["rows"][1]
    assert 0.8 <= model["head_speed_deg_s"] / truth["head_speed_deg_s"] <= 1.2
    for axis in ("pitch", "roll", "yaw"):
        assert 0.7 <= model[f"{axis}_std_deg"] / truth[f"{axis}_std_deg"] <= 1.3, axis
    assert model["roughness"] <= 2.0 * truth["roughness"]
    assert model["beat_alignment"] >= truth["beat_alignment"]
