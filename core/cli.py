"""`musicface`: the engine's command line (the add-on, batch jobs and users share it).

Subcommands live in core/commands/, one module each. This file owns what they
share: `--progress json|bar|none`, `--debug`, and turning errors into one line
and the exit codes of DESIGN.md (0 ok, 2 bad input, 3 missing model, 1 other).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from core.errors import MusicFaceError
from core.progress import ProgressFn


class JsonProgress:
    """One JSON object per line on stdout, for the Blender add-on."""

    def __init__(self) -> None:
        self._last: tuple[str, float] | None = None

    def __call__(self, stage: str, fraction: float) -> None:
        rounded = (stage, round(float(fraction), 3))
        if rounded != self._last:
            self._last = rounded
            print(json.dumps({"stage": stage, "progress": rounded[1]}), flush=True)

    def close(self) -> None:
        pass


class BarProgress:
    """A tqdm bar on stderr, one bar for the whole job with the stage as its label."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=1000, unit="‰", bar_format="{desc:>10} {bar} {percentage:3.0f}%")

    def __call__(self, stage: str, fraction: float) -> None:
        self._bar.set_description_str(stage, refresh=False)
        self._bar.n = int(1000 * min(max(fraction, 0.0), 1.0))
        self._bar.refresh()

    def close(self) -> None:
        self._bar.close()


class NoProgress:
    def __call__(self, stage: str, fraction: float) -> None:
        pass

    def close(self) -> None:
        pass


def _global_flags(parser: argparse.ArgumentParser, defaults: bool) -> None:
    # Accepted both before and after the subcommand; only the top level sets defaults.
    suppress = None if defaults else argparse.SUPPRESS
    parser.add_argument(
        "--progress",
        choices=("bar", "json", "none"),
        default="bar" if defaults else suppress,
        help="how to report progress (json: one object per line, for the add-on)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=False if defaults else suppress,
        help="show tracebacks",
    )


def build_parser(prog: str, package: str) -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    """A parser with one subcommand per module listed in `<package>.COMMANDS`."""
    registry = importlib.import_module(package)
    parser = argparse.ArgumentParser(prog=prog)
    _global_flags(parser, defaults=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    modules: dict[str, ModuleType] = {}
    for name in registry.COMMANDS:
        module = importlib.import_module(f"{package}.{name}")
        command = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        _global_flags(command, defaults=False)
        module.add_arguments(command)
        modules[module.NAME] = module
    return parser, modules


def run_cli(prog: str, package: str, argv: Sequence[str] | None = None) -> int:
    parser, modules = build_parser(prog, package)
    args = parser.parse_args(argv)
    if args.progress == "json":
        reporter: JsonProgress | BarProgress | NoProgress = JsonProgress()
    elif args.progress == "bar" and sys.stderr.isatty() and not _own_bars(modules[args.command]):
        reporter = BarProgress()
    else:
        reporter = NoProgress()
    progress: ProgressFn = reporter
    try:
        code = modules[args.command].run(args, progress)
    except MusicFaceError as err:
        reporter.close()
        return _fail(prog, args, str(err), err.kind, err.exit_code)
    except KeyboardInterrupt:
        reporter.close()
        return _fail(prog, args, "cancelled", "internal", 130)
    except Exception as err:  # noqa: BLE001 - the last line of defence for users
        reporter.close()
        if args.debug:
            raise
        message = f"internal error: {type(err).__name__}: {err} (run with --debug for details)"
        return _fail(prog, args, message, "internal", 1)
    reporter.close()
    done = getattr(args, "done_path", None)
    if code == 0 and done is not None and args.progress == "json":
        print(json.dumps({"done": str(done)}), flush=True)
    return code


def _own_bars(module: ModuleType) -> bool:
    """A command that draws its own bars (batch: songs and frames) gets no shared one."""
    return bool(getattr(module, "OWN_BARS", False))


def _fail(prog: str, args: argparse.Namespace, message: str, kind: str, code: int) -> int:
    if args.progress == "json":
        print(json.dumps({"error": message, "kind": kind}), flush=True)
    print(f"{prog}: error: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    # OpenMP's threads spin while they wait; beside Blender (or any other busy process)
    # that spinning took most of a core and made generate 2-10x slower. Set before torch
    # loads; a user's own setting wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return run_cli("musicface", "core.commands", argv)


if __name__ == "__main__":
    sys.exit(main())
