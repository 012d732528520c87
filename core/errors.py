"""Errors a user can act on. Each carries the exit code and the JSON `kind` of DESIGN.md."""

from __future__ import annotations


class MusicFaceError(Exception):
    """Something went wrong that is not the user's input (exit 1)."""

    kind = "internal"
    exit_code = 1


class BadInput(MusicFaceError):
    """The user's file, folder or argument is unusable (exit 2)."""

    kind = "bad_input"
    exit_code = 2


class MissingModel(MusicFaceError):
    """A model, checkpoint or external tool the job needs is not installed (exit 3)."""

    kind = "missing_model"
    exit_code = 3


# The one map between the JSON `kind` and the exit code (DESIGN.md), for code that
# sees only one of them: the add-on reading a child's exit status, batch scripts.
EXIT_CODES: dict[str, int] = {
    MusicFaceError.kind: MusicFaceError.exit_code,
    BadInput.kind: BadInput.exit_code,
    MissingModel.kind: MissingModel.exit_code,
}


def exit_code_of(kind: str) -> int:
    """Exit code for a JSON `kind`; anything unknown is internal (1)."""
    return EXIT_CODES.get(kind, MusicFaceError.exit_code)


def kind_of(exit_code: int) -> str:
    """JSON `kind` for a non-zero exit code; anything unknown is internal."""
    for kind, code in EXIT_CODES.items():
        if code == exit_code:
            return kind
    return MusicFaceError.kind
