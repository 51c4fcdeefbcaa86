"""Options and output helpers shared by the commands."""

from __future__ import annotations

import argparse

from zcgp.fitness.data import ENV_DATA_DIR
from zcgp.fitness.splits import DEFAULT_TRAIN_FRACTION


def add_overwrite_arg(parser: argparse.ArgumentParser) -> None:
    """The --overwrite flag of every command that writes --out (see fitness.outdir)."""
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the results already in --out (default: refuse them)")


def add_data_args(parser: argparse.ArgumentParser, tasks_default: str | None = "all") -> None:
    parser.add_argument("--tasks", default=tasks_default, metavar="SEL",
                        help="task ids (comma list), a space prefix such as nb201, or 'all' "
                             f"(default: {tasks_default})")
    parser.add_argument("--data-dir", default=None, metavar="DIR",
                        help=f"directory with the NAS-Bench-Suite-Zero JSON files "
                             f"(default: ${ENV_DATA_DIR} or the copies shipped with zcgp)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--train-fraction", type=float, default=DEFAULT_TRAIN_FRACTION,
                        metavar="F", help="share of each task used for fitting/evolving; the rest "
                                          f"is the test split (default: {DEFAULT_TRAIN_FRACTION})")
