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
from delphi.stats.readers import PRESETS as READ_PRESETS
from delphi.stats.readers import ReadOptions, parse_columns, parse_labels, parse_missing, read_ratings
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


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be in [0, 1]")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="delphi", description="Delphi consensus statistics.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {software_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    a = sub.add_parser("analyse", aliases=["analyze"], help="analyse a ratings table (CSV or XLSX)",
                       description="Per-item statistics and outcomes, stability between rounds, panel agreement "
                                   "and a stopping verdict for a long table of ratings "
                                   "(columns round, item, panelist, rating [, question, comment, group]).")
    a.add_argument("ratings", metavar="RATINGS", nargs="+",
                   help="ratings file(s), .csv or .xlsx; several files without a round column are rounds 1, 2, ...")
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
    a.add_argument("--kendall", choices=("auto", "skillings-mack", "complete"), default="auto",
                   help="Kendall's W with missing answers: skillings-mack (every panelist with 2+ ratings, "
                        "Skillings & Mack 1981), complete (only panelists who rated every item), or auto "
                        "(default: complete when nobody skipped an item, else skillings-mack)")
    a.add_argument("--kendall-max-excluded", type=_share, default=0.2, metavar="SHARE",
                   help="warn when W leaves out more than this share of the round's panelists (default 0.2)")
    a.add_argument("--alpha-level", choices=("ordinal", "interval"), default="ordinal",
                   help="Krippendorff's alpha level of measurement (default ordinal)")
    a.add_argument("--format", choices=("json", "csv", "xlsx"), default="json", help="output format (default json)")
    a.add_argument("-o", "--output", metavar="OUT",
                   help="json: a file (default stdout); csv: a directory (existing, or ending in /) or a file "
                        "prefix, giving OUT/items.csv or OUT-items.csv, ...; xlsx: the workbook file")
    r = a.add_argument_group("reading other shapes (docs/STATS.md, 'Other shapes')")
    r.add_argument("--columns", metavar="ROLE=COL,...",
                   help="name the columns: round=COL,item=COL,panelist=COL,rating=COL,question=COL,comment=COL,"
                        "group=COL (any subset; the rest are found by name)")
    r.add_argument("--round", type=_positive_int, metavar="N", help="the round of a file without a round column "
                   "(with one: read only round N)")
    r.add_argument("--wide", action="store_true", help="one row per respondent, one column per item")
    r.add_argument("--id-column", metavar="COL", help="wide: the respondent id column (default: id, record_id, "
                   "ResponseId, participant, ...)")
    r.add_argument("--item-columns", metavar="REGEX", help="wide: the item columns (default: every column "
                   "besides id, round, group and the survey tool's metadata whose values are ratings or empty)")
    r.add_argument("--from", dest="preset", choices=tuple(READ_PRESETS),
                   help="the conventions of a survey tool's export (implies --wide)")
    r.add_argument("--skip-rows", type=int, default=0, metavar="N", help="lines (rows) above the header to skip")
    r.add_argument("--sheet", metavar="NAME|N", help="XLSX: the sheet, by name or 1-based number (default first)")
    r.add_argument("--labels", metavar="LABEL=N,...|FILE",
                   help='answer labels and their scale points, e.g. "Strongly disagree=1,Disagree=2,..." or a file')
    r.add_argument("--missing", metavar="TEXT,...", help='more cell texts meaning "unable to rate", e.g. '
                   '"99,Unable to rate" (empty, NA, N/A, null and - always are)')
    r.add_argument("--encoding", choices=("utf-8", "utf-16", "cp1252", "latin-1"),
                   help="CSV encoding (default UTF-8, with or without BOM; UTF-16 with a BOM is recognised)")
    return parser


def read_options(args: argparse.Namespace) -> ReadOptions:
    """The reading options of the command line."""
    if args.skip_rows < 0:
        raise UsageError("delphi analyse: --skip-rows must be 0 or more")
    sheet = args.sheet
    return ReadOptions(
        columns=parse_columns(args.columns), round=args.round, wide=args.wide, id_column=args.id_column,
        item_columns=args.item_columns, skip_rows=args.skip_rows,
        sheet=int(sheet) if sheet and sheet.isdigit() else sheet, labels=parse_labels(args.labels),
        missing=parse_missing(args.missing), encoding=args.encoding, preset=args.preset)


def _analyse(args: argparse.Namespace) -> int:
    if args.format in ("csv", "xlsx") and not args.output:
        raise UsageError(f"delphi analyse: --format {args.format} needs -o OUT")
    config = AnalysisConfig.from_strings(
        args.scale, agree=args.agree, disagree=args.disagree, rule=rule_argument(args.rule),
        quartiles=args.quartiles,
        panel_size=args.panel_size, max_rounds=args.max_rounds, stability_threshold=args.stability_threshold,
        kendall=args.kendall, kendall_max_excluded=args.kendall_max_excluded, alpha_level=args.alpha_level)
    ratings = read_ratings(args.ratings, scale=(config.scale_min, config.scale_max), options=read_options(args))
    result = analyse(ratings, config)
    for warning in result.meta.get("warnings", []):
        print(f"delphi analyse: warning: {warning}", file=sys.stderr)
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
