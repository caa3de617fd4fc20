"""The modelwire command line: ``modelwire <command> ...`` (also ``python -m modelwire``).

Each command is its own module in this package exposing ``NAME``, ``HELP``, ``add_arguments(parser)``
and ``run(args) -> int``; adding one is a new module and a new entry in ``COMMANDS``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["COMMANDS", "build_parser", "main"]

# Command modules, imported only when the parser is built (``import modelwire.cli`` stays cheap).
COMMANDS: tuple[str, ...] = ("parse", "demo", "batch")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="modelwire", description="Fast, honest model-provider clients.")
    parser.add_argument(
        "--version", action="store_true", help="print the version, the active backend and why it is active"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"modelwire.cli.{name}")
        sub = commands.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        import modelwire

        print(f"modelwire {modelwire.__version__} ({modelwire.BACKEND} backend: {modelwire.BACKEND_REASON})")
        return 0
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    code: int = args.run(args)
    return code
