"""The names of the audio streams the model hears (DESIGN.md, steps 1–2).

One spelling everywhere: dictionaries of signals and MFCCs, the checkpoint's
config, the attention channels. The dataset files keep DESIGN's array keys
(`vocals_mfcc`, `accomp_mfcc`, `mix_mfcc`), which MFCC_KEYS maps to.
"""

from __future__ import annotations

VOCALS = "vocals"
ACCOMPANIMENT = "accompaniment"
MIXTURE = "mixture"

# The two separated streams, in the order the two-stream encoder (TSAE) reads them.
SEPARATED: tuple[str, ...] = (VOCALS, ACCOMPANIMENT)

# Array key of each stream's 100 fps MFCC in a dataset clip (DESIGN.md's contract).
MFCC_KEYS: dict[str, str] = {
    VOCALS: "vocals_mfcc",
    ACCOMPANIMENT: "accomp_mfcc",
    MIXTURE: "mix_mfcc",
}
