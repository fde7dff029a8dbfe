"""The ``delphi`` command: ``delphi analyse RATINGS.csv --scale 1-5 [options]``.

Output goes to stdout as JSON by default. A user's mistake (bad file, bad option, unknown rule) prints one
line on stderr, nothing on stdout, and exits with status 2.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from delphi.stats.analysis import analyse, software_version
from delphi.stats.config import AnalysisConfig
from delphi.stats.errors import StatsInputError
from delphi.stats.export import to_json, write_csv, write_xlsx
from delphi.stats.ratings import read_ratings
from delphi.stats.rules import DEFAULT_RULE, PRESETS, rule_argument

EXIT_USAGE = 2


class UsageError(Exception):
    """A command-line mistake, reported in one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be in (0, 1]")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="delphi", description="Delphi consensus statistics.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {software_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    a = sub.add_parser("analyse", aliases=["analyze"], help="analyse a ratings table (CSV or XLSX)",
                       description="Per-item statistics and outcomes, stability between rounds, panel agreement "
                                   "and a stopping verdict for a long table of ratings "
                                   "(columns round, item, panelist, rating [, question, comment, group]).")
    a.add_argument("ratings", metavar="RATINGS", help="ratings file, .csv or .xlsx")
    a.add_argument("--scale", required=True, help="rating scale, e.g. 1-5 or 1-9")
    a.add_argument("--agree", help="agree band, e.g. 4-5 (default: the rule's band, else the top third)")
    a.add_argument("--disagree", help="disagree band, e.g. 1-2 (default: the rule's band, else the agree band "
                                      "mirrored)")
    a.add_argument("--rule", default=DEFAULT_RULE,
                   help=f"consensus rule: a preset ({', '.join(PRESETS)}) or a JSON file (default {DEFAULT_RULE})")
    a.add_argument("--quartiles", choices=("linear", "weibull"), default="linear",
                   help="quartile method: linear = type 7 (numpy default), weibull = type 6 (SPSS)")
    a.add_argument("--panel-size", type=_positive_int, help="invited panel size, for the response rate")
    a.add_argument("--max-rounds", type=_positive_int, help="stop after this many rounds")
    a.add_argument("--stability-threshold", type=_fraction, default=0.15,
                   help="an item is stable when pct_change is below this (default 0.15)")
    a.add_argument("--format", choices=("json", "csv", "xlsx"), default="json", help="output format (default json)")
    a.add_argument("-o", "--output", metavar="OUT",
                   help="json: a file (default stdout); csv: a directory (existing, or ending in /) or a file "
                        "prefix, giving OUT/items.csv or OUT-items.csv, ...; xlsx: the workbook file")
    return parser


def _analyse(args: argparse.Namespace) -> int:
    if args.format in ("csv", "xlsx") and not args.output:
        raise UsageError(f"delphi analyse: --format {args.format} needs -o OUT")
    config = AnalysisConfig.from_strings(
        args.scale, agree=args.agree, disagree=args.disagree, rule=rule_argument(args.rule),
        quartiles=args.quartiles,
        panel_size=args.panel_size, max_rounds=args.max_rounds, stability_threshold=args.stability_threshold)
    ratings = read_ratings(args.ratings, scale=(config.scale_min, config.scale_max))
    result = analyse(ratings, config)
    try:
        if args.format == "json":
            text = to_json(result)
            if args.output:
                Path(args.output).write_text(text + "\n", encoding="utf-8")
            else:
                sys.stdout.write(text + "\n")
        else:
            written = write_csv(result, args.output) if args.format == "csv" else write_xlsx(result, args.output)
            for path in written:
                print(path)
    except OSError as exc:
        raise UsageError(f"delphi analyse: cannot write {args.output}: {exc.strerror or exc}") from None
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status (0 success, 2 a user's mistake)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_usage(sys.stderr)
            return EXIT_USAGE
        return _analyse(args)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except StatsInputError as exc:
        print(f"delphi analyse: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
