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
