"""Score a formula on any tasks: per-task train/test correlation beside the baselines.

The formula comes from a run directory (its best, or --index K of its hall of fame), an
exported proxy.py (read from its JSON description, never imported), a shipped suite proxy
(suite, suite-without-nb201, ...), or --formula. Formulas use the proxies as
names, + - * / and **2, and log, sqrt, abs, min, max, tanh, square, neg; all protected
(x/0 = 1, log|x| with log 0 = 0, sqrt|x|), as in evolution. A task lacking one of the
formula's proxies is shown as n/a, unless the missing mode (--missing; default: the source
run's / proxy.py's) is impute: the proxy is then the transform's neutral constant there.

examples:
  zcgp evaluate --formula "nwot*log(synflow)" --tasks nb201
  zcgp evaluate runs/all --tasks tnb101_micro
  zcgp evaluate runs/all/proxy.py --tasks all --metric spearman
  zcgp evaluate suite-without-nb201 --tasks nb201 --metric top10
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from zcgp.errors import ZcgpError
from zcgp.evaluation import evaluate
from zcgp.fitness.families import FITNESS_METRICS
from zcgp.fitness.rank import METRICS
from zcgp.fitness.transforms import TRANSFORMS
from zcgp.gp.dataset import MISSING_MODES
from zcgp.gp.report import comparison_table
from zcgp.nas.shipped import SHIPPED_NAMES
from zcgp.scripts.common import add_data_args, add_overwrite_arg
from zcgp.util import atomic_write_json, claim_file


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", nargs="?", metavar="DIR|proxy.py|SUITE",
                        help="a `zcgp evolve` output directory, an exported proxy.py or a suite proxy name")
    parser.add_argument("--formula", help='a formula such as "nwot*log(synflow)"')
    parser.add_argument("--index", type=int, help="with DIR: hall-of-fame member K instead of the best")
    add_data_args(parser)
    parser.set_defaults(seed=None, train_fraction=None)     # default: the source run's, else 0 / 0.2
    parser.add_argument("--data", metavar="TABLE", help="your own tasks: a long .csv / .parquet table (or a "
                        "directory of them) instead of the shipped tables")
    parser.add_argument("--transform", choices=TRANSFORMS,
                        help="input transform (default: the source's, else rank)")
    parser.add_argument("--missing", choices=MISSING_MODES,
                        help="a task lacking a proxy of the formula: impute = neutral constant, "
                             "any other mode = n/a (default: the source's, else exclude)")
    parser.add_argument("--metric", choices=[*FITNESS_METRICS, "both"], default="both",
                        help="which table(s) to print: any fitness family of zcgp evolve --metric, or both "
                             "(kendall and spearman; default)")
    parser.add_argument("--out", metavar="FILE", help="also write the rows as JSON")
    add_overwrite_arg(parser)


def run(args: argparse.Namespace) -> int:
    with claim_file(args.out, args.overwrite):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    if bool(args.source) == bool(args.formula):
        raise ZcgpError("give exactly one of DIR, proxy.py or --formula")
    if args.index is not None and (args.formula or str(args.source).endswith((".py", ".json"))):
        raise ZcgpError("--index needs a run directory")
    source = args.formula or args.source
    if args.source and args.source not in SHIPPED_NAMES and not Path(args.source).exists():
        raise ZcgpError(f"no such run directory or proxy file: {args.source}")
    metrics = METRICS if args.metric == "both" else (args.metric,)
    result = evaluate(source, args.tasks, seed=args.seed, train_fraction=args.train_fraction,
                      transform=args.transform, missing=args.missing, index=args.index, metrics=metrics,
                      data=args.data, data_dir=args.data_dir).result
    rows = result["tasks"]
    print(f"formula: {result['formula_infix']}   (transform: {result['transform']}, seed {result['seed']}, "
          f"train fraction {result['train_fraction']}, proxies: {', '.join(result['terminals']) or 'none'}, "
          f"missing proxies: {result['missing']})")
    for metric in metrics:
        print()
        print(comparison_table(rows, metric))
    if args.out:
        atomic_write_json(args.out, result)
        print(f"wrote {args.out}")
    print(f"{len(rows)} tasks in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("evaluate"))
