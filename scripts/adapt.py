"""Adapt a proxy to a new space with a few labeled architectures of it (few-shot).

--proxy is what `zcgp.Proxy` reads: a run directory, an exported proxy.py / proxy.json, a
shipped suite proxy (suite-without-nb201, ...) or a formula. --data is a long table of the
labeled architectures (one row per (task, arch): a task column, an arch column, an accuracy
column, one column per proxy; the format of `zcgp evolve --data`, see `zcgp tasks --to-csv`).
Methods: combine (the default: a ridge regression, alpha 1, of the labels' rank on the formula
and each proxy's rank, written as a formula), combine-weighted (the same formula, its weights
fitted with the top-weighted pairwise ranking loss: the top of the labels ordered first),
select (the candidate with the best Kendall on the labels: the proxy, its run's hall of fame
and fronts, the shipped suite proxies that saw no label of this space, each hand-crafted
proxy), evolve (a short, parsimonious evolution seeded with the candidates), ensemble (the
three best candidates).
Only the labels in --data are read. Writes DIR/proxy.py and DIR/proxy.json (with the labels
used, added to those the proxy had seen), ready for `zcgp search --proxy DIR/proxy.json`.

example: zcgp adapt --proxy suite-without-nb201 --data labeled.csv --out runs/adapted
"""

from __future__ import annotations

import argparse
from pathlib import Path

from zcgp.adapting import ADAPT_METHODS, adapt
from zcgp.errors import ZcgpError
from zcgp.scripts.evolve import parse_columns
from zcgp.util import claim_dir, format_table


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--proxy", required=True,
                        help="the proxy to adapt (run directory, proxy file, suite name, formula)")
    parser.add_argument("--data", required=True, metavar="TABLE",
                        help="the labeled architectures (long .csv / .parquet)")
    parser.add_argument("--columns", metavar="ROLE=NAME,...", help="column roles of --data (task, arch, accuracy)")
    parser.add_argument("--method", choices=ADAPT_METHODS, default="combine",
                        help="how to adapt (default: combine, the best Kendall; combine-weighted orders the top "
                             "best, the one to search with)")
    parser.add_argument("--proxies", metavar="P,...",
                        help="the hand-crafted proxies the adaptation may add to the proxy's own terminals "
                             "(default: every proxy of --data); a search computes every terminal on every "
                             "network, so a cheap set (e.g. synflow,flops,params,l2_norm) buys it more networks")
    parser.add_argument("--seed", type=int, default=0, help="seed of --method evolve (default: 0)")
    parser.add_argument("--out", required=True, metavar="DIR", help="write proxy.py and proxy.json here")
    parser.add_argument("--overwrite", action="store_true", help="replace the files already in --out")


def run(args: argparse.Namespace) -> int:
    if not Path(args.data).exists():
        raise ZcgpError(f"--data {args.data}: no such file or directory")
    with claim_dir(args.out, ("proxy.py", "proxy.json"), args.overwrite):
        adapted = adapt(args.proxy, args.data, method=args.method, seed=args.seed,
                        columns=parse_columns(args.columns),
                        proxies=None if args.proxies is None else [p.strip() for p in args.proxies.split(",")
                                                                   if p.strip()])
        path = adapted.export(Path(args.out) / "proxy.py")
    rows = [[c["name"], c["kendall"], c["formula"][:70]] for c in adapted.candidates[:8]]
    print(format_table(["candidate", "Kendall on the labels", "formula"], rows))
    seen = ", ".join(f"{n} of {s}" for s, n in adapted.labels["spaces"].items())
    print(f"\nadapted ({args.method}): {adapted.proxy.formula}\nlabels seen in all: {seen}\nwrote {path} and "
          f"{path.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("adapt"))
