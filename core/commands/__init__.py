"""Subcommands of `musicface`: one module each (NAME, HELP, add_arguments, run)."""

COMMANDS: tuple[str, ...] = (
    "features",
    "separate",
    "generate",
    "align",
    "capture",
    "build_template",
    "animate",
    "render",
    "batch",
    "live",
)
