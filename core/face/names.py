"""Match a rig's shape-key names to the 52 ARKit names.

Rigs in the wild spell the same key many ways: `eyeBlinkLeft`, `EyeBlinkLeft`,
`eyeBlink_L`, `eye_blink_left`, `Face.eyeBlinkLeft`, `eyeBlink.L`. All of them reduce to
one canonical key (lower-case words, the side word last, no separators), which is then
looked up among the ARKit names.

This module imports only the standard library and `arkit` (relatively), so the Blender
add-on can use it as is or vendor both files side by side.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .arkit import ARKIT_NAMES

# Separators that mark a namespace/prefix ("Face.", "mesh:", "Armature|").
_PREFIX_SEPARATORS = re.compile(r"[.:|/\\]")
# Word boundaries inside one component: separators and camelCase humps.
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_SIDES = {"l": "left", "left": "left", "r": "right", "right": "right"}
# Prefixes some exporters add to every blendshape ("blendShape1.", "BS_", "arkit_").
_NOISE_WORDS = ("blendshape", "blendshape1", "bs", "arkit", "shape", "key")


def _words(component: str) -> list[str]:
    return [word.lower() for word in _WORDS.findall(component)]


def canonical_key(name: str) -> str:
    """Reduce a shape-key name to a spelling-independent key, e.g. 'eyeblinkleft'."""
    components = [part for part in _PREFIX_SEPARATORS.split(name.strip()) if part]
    if not components:
        return ""
    words = _words(components[-1])
    # "eyeBlink.L": the last component is only a side, the name is the one before it.
    if len(components) >= 2 and len(words) == 1 and words[0] in _SIDES:
        words = _words(components[-2]) + words
    while len(words) > 1 and words[0] in _NOISE_WORDS:
        words = words[1:]
    sides = [_SIDES[word] for word in words if word in _SIDES]
    body = [word for word in words if word not in _SIDES]
    # ARKit names put the side last; rigs sometimes put it first ("L_eyeBlink").
    return "".join(body + sides[-1:])


_ARKIT_BY_KEY: dict[str, str] = {canonical_key(name): name for name in ARKIT_NAMES}
assert len(_ARKIT_BY_KEY) == len(ARKIT_NAMES), "ARKit names must stay distinct when canonical"


def arkit_name(name: str) -> str | None:
    """The ARKit name a shape-key name stands for, or None."""
    return _ARKIT_BY_KEY.get(canonical_key(name))


@dataclass(frozen=True)
class ArkitMatch:
    """How a rig's shape keys cover the 52 ARKit names.

    `keys` maps each found ARKit name to the rig's own key name (ARKit order);
    `missing` lists the ARKit names the rig lacks (ARKit order); `unmatched` lists the
    rig's keys that are no ARKit name; `duplicates` lists rig keys left unused because
    another key (an exact spelling, else the first seen) already drives that ARKit name.
    """

    keys: dict[str, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    unmatched: tuple[str, ...] = ()
    duplicates: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.missing


def match_arkit_names(names: Iterable[str]) -> ArkitMatch:
    """Map a rig's shape-key names onto the ARKit names.

    An exact spelling wins over a variant (a rig with both `jawOpen` and `JawOpen`
    drives `jawOpen`); otherwise the first key seen wins.
    """
    names = list(names)
    found: dict[str, str] = {}
    unmatched: list[str] = []
    duplicates: list[str] = []
    exact = {name for name in names if name in _ARKIT_BY_KEY.values()}
    for name in names:
        target = arkit_name(name)
        if target is None:
            unmatched.append(name)
        elif target in found or (target in exact and name != target):
            duplicates.append(name)
        else:
            found[target] = name
    keys = {arkit: found[arkit] for arkit in ARKIT_NAMES if arkit in found}
    missing = tuple(arkit for arkit in ARKIT_NAMES if arkit not in found)
    return ArkitMatch(
        keys=keys, missing=missing, unmatched=tuple(unmatched), duplicates=tuple(duplicates)
    )
