"""ARKit names and the shape-key name matching the add-on uses on users' rigs."""

from __future__ import annotations

import pytest

from core.face.arkit import ARKIT_INDEX, ARKIT_NAMES
from core.face.names import arkit_name, canonical_key, match_arkit_names


def test_52_arkit_names_in_apple_order() -> None:
    assert len(ARKIT_NAMES) == 52 == len(set(ARKIT_NAMES))
    assert ARKIT_NAMES[0] == "eyeBlinkLeft" and ARKIT_NAMES[-1] == "tongueOut"
    assert ARKIT_INDEX["jawOpen"] == 17
    assert all(ARKIT_NAMES[i] == name for name, i in ARKIT_INDEX.items())


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("eyeBlinkLeft", "eyeBlinkLeft"),
        ("EyeBlinkLeft", "eyeBlinkLeft"),
        ("eyeBlink_L", "eyeBlinkLeft"),
        ("eye_blink_left", "eyeBlinkLeft"),
        ("eyeBlink.L", "eyeBlinkLeft"),
        ("Face.eyeBlinkLeft", "eyeBlinkLeft"),
        ("Face.eyeBlink_L", "eyeBlinkLeft"),
        ("L_eyeBlink", "eyeBlinkLeft"),
        ("EYE_BLINK_LEFT", "eyeBlinkLeft"),
        ("eyeBlink_R", "eyeBlinkRight"),
        ("mouthSmile_R", "mouthSmileRight"),
        ("mouth_L", "mouthLeft"),
        ("mouthRight", "mouthRight"),
        ("JawOpen", "jawOpen"),
        ("jaw_open", "jawOpen"),
        ("blendShape1.mouthRollLower", "mouthRollLower"),
        ("Armature|Face.browInnerUp", "browInnerUp"),
        ("BS_cheekPuff", "cheekPuff"),
        ("tongue_out", "tongueOut"),
        ("Basis", None),
        ("eyeBlink", None),
        ("smile", None),
        ("", None),
    ],
)
def test_spellings_in_the_wild_map_to_arkit(spelling: str, expected: str | None) -> None:
    assert arkit_name(spelling) == expected


def test_every_arkit_name_maps_to_itself() -> None:
    assert [arkit_name(name) for name in ARKIT_NAMES] == list(ARKIT_NAMES)
    assert len({canonical_key(name) for name in ARKIT_NAMES}) == 52


def test_rig_with_full_set_in_another_spelling_is_complete() -> None:
    rig = ["Basis"] + [f"Face.{name[0].upper()}{name[1:]}" for name in ARKIT_NAMES]
    match = match_arkit_names(rig)
    assert match.complete and match.missing == ()
    assert match.keys["jawOpen"] == "Face.JawOpen"
    assert list(match.keys) == list(ARKIT_NAMES)
    assert match.unmatched == ("Basis",)


def test_rig_lacking_keys_reports_them_in_arkit_order() -> None:
    rig = ["Basis", "eyeBlink_L", "eyeBlink_R", "jaw_open", "mouthSmile_L", "Wink", "tongueOut"]
    match = match_arkit_names(rig)
    assert match.keys == {
        "eyeBlinkLeft": "eyeBlink_L",
        "eyeBlinkRight": "eyeBlink_R",
        "jawOpen": "jaw_open",
        "mouthSmileLeft": "mouthSmile_L",
        "tongueOut": "tongueOut",
    }
    assert not match.complete
    assert len(match.missing) == 47
    assert match.missing[0] == "eyeLookDownLeft" and "mouthSmileRight" in match.missing
    assert match.missing == tuple(n for n in ARKIT_NAMES if n not in match.keys)
    assert match.unmatched == ("Basis", "Wink")


def test_exact_spelling_wins_over_a_variant() -> None:
    match = match_arkit_names(["JawOpen", "jawOpen", "jaw_open"])
    assert match.keys == {"jawOpen": "jawOpen"}
    assert set(match.duplicates) == {"JawOpen", "jaw_open"}
    first_wins = match_arkit_names(["eyeBlink_L", "EyeBlinkLeft"])
    assert first_wins.keys == {"eyeBlinkLeft": "eyeBlink_L"}
    assert first_wins.duplicates == ("EyeBlinkLeft",)


def test_names_module_imports_only_stdlib_and_arkit() -> None:
    import ast
    from pathlib import Path

    import core.face.names as names

    tree = ast.parse(Path(names.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            imported.add("." + module if node.level else module.split(".")[0])
    assert imported <= {"__future__", "re", "dataclasses", "collections", ".arkit"}
