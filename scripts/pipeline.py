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

from zcgp.scripts.cli import main as zcgp

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
    parser.add_argument("--data", default="synthetic", help="minibatch: synthetic (default) or cifar10:/path")
    parser.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    parser.add_argument("--workers", type=int, default=-1, help="scoring processes (default: -1, every core)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--overwrite", action="store_true", help="replace the results already in --out")


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    quiet = ["--quiet"] if args.quiet else []
    quiet += ["--overwrite"] if args.overwrite else []
    print(f"== step 1/2: evolve a proxy on the NAS-Bench-201 tasks -> {out / 'evolve'}", flush=True)
    sizes = [flag for name, value in (("--population", args.population), ("--generations", args.generations))
             if value is not None for flag in (name, str(value))]
    code = zcgp(["evolve", "--tasks", "nb201", "--proxies", args.proxies, "--metric", args.metric,
                 "--seed", str(args.seed), *sizes, "--out", str(out / "evolve"), *quiet])
    if code:
        return code
    print(f"\n== step 2/2: search NAS-Bench-201 with it for {args.minutes:g} min -> {out / 'search'}", flush=True)
    budget = ["--evaluations", str(args.evaluations)] if args.evaluations else []
    return zcgp(["search", "--proxy", str(out / "evolve"), "--dataset", args.dataset, "--minutes", str(args.minutes),
                 *budget, "--seed", str(args.seed), "--data", args.data,
                 "--device", args.device, "--workers", str(args.workers), "--out", str(out / "search"), *quiet])


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("run"))
