"""Subcommands of `musicface-train`: one module each (NAME, HELP, add_arguments, run)."""

COMMANDS: tuple[str, ...] = (
    "synth",
    "remouth",
    "prepare",
    "evaluate",
    "train",
    "voice_detector",
    "renderer",
)
