"""Score a formula on any tasks: per-task train/test correlation beside the baselines.

The formula comes from a run directory (its best, or --index K of its hall of fame), an
exported proxy.py (its FORMULA and TRANSFORM), or --formula. Formulas use the proxies as
names, + - * / and **2, and log, sqrt, abs, min, max, tanh, square, neg; all protected
(x/0 = 1, log|x| with log 0 = 0, sqrt|x|), as in evolution. A task lacking one of the
formula's proxies is shown as n/a, unless the missing mode (--missing; default: the source
run's / proxy.py's) is impute: the proxy is then the transform's neutral constant there.

examples:
  zcgp evaluate --formula "nwot*log(synflow)" --tasks nb201
  zcgp evaluate runs/all --tasks tnb101_micro
  zcgp evaluate runs/all/proxy.py --tasks all --metric spearman
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from zcgp.fitness.errors import ZcgpError
from zcgp.fitness.io import atomic_write_json
from zcgp.fitness.rank import METRICS
from zcgp.fitness.splits import DEFAULT_TRAIN_FRACTION
from zcgp.fitness.tasks import PROXY_ORDER, load_tasks
from zcgp.fitness.transforms import DEFAULT_TRANSFORM, TRANSFORMS
from zcgp.gp.export import load_proxy_module, used_terminals
from zcgp.gp.formula import formula_names, infix, parse_formula
from zcgp.gp.primitives import make_pset
from zcgp.gp.report import comparison_table, formula_rows, summary
from zcgp.gp.results import load_result, result_member, result_missing
from zcgp.fitness.outdir import claim_file
from zcgp.scripts.common import add_data_args, add_overwrite_arg


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", nargs="?", metavar="DIR|proxy.py",
                        help="a `zcgp evolve` output directory or an exported proxy.py")
    parser.add_argument("--formula", help='a formula such as "nwot*log(synflow)"')
    parser.add_argument("--index", type=int, help="with DIR: hall-of-fame member K instead of the best")
    add_data_args(parser)
    parser.set_defaults(seed=None, train_fraction=None)     # default: the source run's, else 0 / 0.2
    parser.add_argument("--transform", choices=TRANSFORMS,
                        help="input transform (default: the source's, else rank)")
    parser.add_argument("--missing", choices=("impute", "exclude"),
                        help="a task lacking a proxy of the formula: impute = neutral constant, "
                             "exclude = n/a (default: the source's, else exclude)")
    parser.add_argument("--metric", choices=[*METRICS, "both"], default="both",
                        help="which table(s) to print (default: both)")
    parser.add_argument("--out", metavar="FILE", help="also write the rows as JSON")
    add_overwrite_arg(parser)


def _source(args) -> tuple[str, dict]:
    """(formula text, settings of the source: transform, seed, train_fraction when known)."""
    if bool(args.source) == bool(args.formula):
        raise ZcgpError("give exactly one of DIR, proxy.py or --formula")
    if args.formula:
        if args.index is not None:
            raise ZcgpError("--index needs a run directory")
        return args.formula, {}
    path = Path(args.source)
    if path.is_dir():
        result = load_result(path)
        entry, _, _ = result_member(result, args.index or 0)
        cfg = result["config"]
        return entry["formula"], {"transform": cfg["transform"], "seed": result.get("seed"),
                                  "train_fraction": cfg.get("train_fraction"),
                                  "missing": result_missing(result)}
    if path.suffix == ".py":
        if args.index is not None:
            raise ZcgpError("--index needs a run directory")
        module = load_proxy_module(path)
        info = getattr(module, "INFO", {}) or {}
        return str(module.FORMULA), {"transform": str(module.TRANSFORM), "seed": info.get("seed"),
                                     "train_fraction": info.get("train_fraction"),
                                     "missing": getattr(module, "MISSING", "error")}
    raise ZcgpError(f"{args.source} is neither a run directory nor a .py proxy module")


def run(args: argparse.Namespace) -> int:
    with claim_file(args.out, args.overwrite):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    text, source = _source(args)
    transform = args.transform or source.get("transform") or DEFAULT_TRANSFORM
    seed = args.seed if args.seed is not None else (source.get("seed") or 0)
    fraction = args.train_fraction if args.train_fraction is not None else \
        (source.get("train_fraction") or DEFAULT_TRAIN_FRACTION)
    if transform not in TRANSFORMS:
        raise ZcgpError(f"unknown transform '{transform}' in {args.source}")
    tasks = load_tasks(args.tasks, args.data_dir)
    known = {p for t in tasks for p in t.proxies} | {p for t in tasks for p in t.dropped}
    names = formula_names(text)
    order = [p for p in PROXY_ORDER if p in known | names] + sorted((known | names) - set(PROXY_ORDER))
    unknown = sorted(names - known)
    if unknown and unknown[0] in PROXY_ORDER:
        raise ZcgpError(f"proxy '{unknown[0]}' in formula '{text}' is not available on any selected task")
    if unknown:
        raise ZcgpError(f"unknown terminal '{unknown[0]}' in formula '{text}'; "
                        f"known: {', '.join(p for p in order if p in known)}")
    tree = parse_formula(text, make_pset(order))
    missing = args.missing or ("impute" if source.get("missing") == "impute" else "exclude")
    rows = formula_rows(tree, tasks, order, seed, fraction, transform, missing=missing)
    print(f"formula: {infix(tree)}   (transform: {transform}, seed {seed}, train fraction {fraction}, "
          f"proxies: {', '.join(used_terminals(tree, order)) or 'none'}, missing proxies: {missing})")
    for metric in (METRICS if args.metric == "both" else [args.metric]):
        print()
        print(comparison_table(rows, metric))
    if args.out:
        atomic_write_json(args.out, ({
            "formula": str(tree), "formula_infix": infix(tree), "transform": transform,
            "seed": seed, "train_fraction": fraction, "missing": missing, "tasks": rows,
            "summary": {m: summary(rows, m) for m in METRICS}}))
        print(f"wrote {args.out}")
    print(f"{len(rows)} tasks in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("evaluate"))
