"""The whole job on shipped data: evolve a proxy on the NAS-Bench-201 tasks, then search with it.

Step 1 runs `zcgp evolve` on nb201/cifar10, cifar100 and ImageNet16-120 with the proxies
the torch module computes cheaply (--proxies), writing OUT/evolve/. Its fitness is Spearman
by default: it punishes large rank displacements, so the formula does not put the top of
the space on one plateau (Kendall-evolved formulas often clip with min(0.5, ...)), and a
search needs exactly the top to be ordered. Step 2 runs `zcgp
search` with the exported formula on freshly built, untrained networks for --minutes,
writing OUT/search/, and prints the found architecture with its true benchmark accuracy.

example: zcgp run --out runs/main --minutes 3
"""

from __future__ import annotations

import argparse
from pathlib import Path

from zcgp.evolving import evolve
from zcgp.scripts.common import add_measure_args, measure_settings
from zcgp.scripts.evolve import labels_line
from zcgp.scripts.search import print_result
from zcgp.searching import search
from zcgp.spaces import get_space

CHEAP_PROXIES = "synflow,jacov,nwot,snip,grad_norm,flops,params"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="runs/main", metavar="DIR", help="output directory (default: runs/main)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--proxies", default=CHEAP_PROXIES, help=f"terminals (default: {CHEAP_PROXIES})")
    parser.add_argument("--metric", choices=["spearman", "kendall"], default="spearman",
                        help="GP fitness (default: spearman, see above)")
    parser.add_argument("--population", type=int, help="GP population (default: zcgp evolve's)")
    parser.add_argument("--generations", type=int, help="GP generations (default: zcgp evolve's)")
    parser.add_argument("--dataset", default="cifar10", help="search target dataset (default: cifar10)")
    parser.add_argument("--minutes", type=float, default=3.0, help="search wall time (default: 3)")
    parser.add_argument("--evaluations", type=int, help="also stop the search after this many networks")
    add_measure_args(parser)
    parser.add_argument("--workers", type=int, default=-1, help="scoring processes (default: -1, every core)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--overwrite", action="store_true", help="replace the results already in --out")


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    space = get_space("nb201")
    settings = measure_settings(args)
    print(f"== step 1/2: evolve a proxy on the NAS-Bench-201 tasks -> {out / 'evolve'}", flush=True)
    found = evolve("nb201", seed=args.seed, population=args.population, generations=args.generations,
                   metric=args.metric, proxies=args.proxies, out=out / "evolve", overwrite=args.overwrite,
                   progress=not args.quiet)
    print(f"formula: {found.formula}\n{labels_line(found.labels)}")
    print(f"\n== step 2/2: search NAS-Bench-201 with it for {args.minutes:g} min -> {out / 'search'}", flush=True)
    result = search(space, found, minutes=args.minutes, evaluations=args.evaluations, seed=args.seed,
                    task=args.dataset, settings=settings, workers=args.workers)
    print_result(result)
    result.save(out / "search", overwrite=args.overwrite)
    return 130 if result.interrupted else 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("run"))
