"""Regenerate the shipped suite proxies: formulas built by zcgp itself with the defaults.

`suite` is evolved on all 19 NAS-Bench-Suite-Zero tasks; `suite-without-SPACE` on every space
but SPACE (it never sees a label of SPACE, so a search of SPACE with it is zero-shot).
`suite-combined[-without-SPACE]` evolves on the same tasks with the fitness sample500 (the
top of the ranking), then adapts that formula (`zcgp adapt --method combine-weighted` over
synflow, flops, params, l2_norm, grad_norm) on all their labeled architectures: still no
label of SPACE. Each file holds the formula, its provenance (this command,
the version, tasks, seed, settings, the labels it saw) and its scores per task and on the
space it never saw. `zcgp search` with no objective uses the combined proxy that never saw
the searched space; `zcgp.Proxy(NAME)`, `zcgp search --proxy NAME` and `zcgp evaluate NAME`
read them.

examples:
  zcgp suite --list
  zcgp suite suite-without-nb201 suite-combined-without-nb201 --seed 0 --out runs/suite
"""

from __future__ import annotations

import argparse
import json

from zcgp.errors import ZcgpError
from zcgp.nas.shipped import SHIPPED_NAMES, read_shipped, shipped_path
from zcgp.suite import write_suite
from zcgp.util import claim_dir, format_table


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"suite proxies (default: all of {', '.join(SHIPPED_NAMES)})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the runs (default: 0, as shipped)")
    parser.add_argument("--out", metavar="DIR", help="write NAME.json here (required unless --list)")
    parser.add_argument("--overwrite", action="store_true", help="replace files already in --out")
    parser.add_argument("--n-jobs", type=int, default=-1, help="worker processes (default: every core)")
    parser.add_argument("--list", action="store_true", help="print the shipped suite proxies and their scores")
    parser.add_argument("--quiet", action="store_true", help="no progress")


def _short(formula: str, width: int = 60) -> str:
    return formula if len(formula) <= width else formula[:width - 3] + "..."


def _list() -> int:
    rows = []
    for name in SHIPPED_NAMES:
        data = read_shipped(name)
        held = data["provenance"]["held_out_space"]
        score = data["scores"]["held_out"].get(held, {}) if held else {}
        rows.append([name, _short(data["formula_infix"]), held or "-", score.get("kendall"), score.get("top10")])
    print(format_table(["suite proxy", "formula", "never saw", "Kendall there", "top-10 % there"], rows))
    print(f"files: {shipped_path('suite').parent}  (whole formulas: zcgp evaluate NAME)")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.list:
        return _list()
    names = args.names or list(SHIPPED_NAMES)
    unknown = [n for n in names if n not in SHIPPED_NAMES]
    if unknown:
        raise ZcgpError(f"unknown suite proxy '{unknown[0]}'; known: {', '.join(SHIPPED_NAMES)}")
    if not args.out:
        raise ZcgpError("--out DIR is required (the shipped files are package data; copy them in by hand)")
    with claim_dir(args.out, [f"{n}.json" for n in names], args.overwrite):
        for path in write_suite(names, args.out, seed=args.seed, n_jobs=args.n_jobs, progress=not args.quiet):
            print(f"{path}: {json.loads(path.read_text(encoding='utf-8'))['formula_infix']}")
    return 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("suite"))
