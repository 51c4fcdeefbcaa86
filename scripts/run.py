"""The main job: a zero-shot search of NAS-Bench-201 with a proxy that never saw its labels.

The proxy is the shipped `suite-combined-without-nb201`: a formula zcgp evolved on the other
four NAS-Bench-Suite-Zero spaces (NB101, NB301, TransNAS micro and macro), combined with five
cheap proxies by weights fitted on those spaces' labels (`zcgp adapt --method
combine-weighted`), so no label of NB201 went into it. With --evolve it is built here instead,
the same way on those four spaces (under a minute on two cores), written to OUT/evolve/
(the run) and OUT/evolve/combined.py / .json (the combined proxy). The search runs for --minutes
on freshly built, untrained NB201 networks (setup included), writes OUT/search/, and prints
the network it found with its true benchmark accuracy, the labels the proxy used (none) and
published zero-cost searches as anchors.

example: zcgp run --out runs/main --minutes 3
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from zcgp.adapting import combine
from zcgp.bench.search import ANCHORS
from zcgp.evolving import evolve
from zcgp.fitness.sources import load_tasks
from zcgp.nas.shipped import SUITE_SPACES, default_for
from zcgp.scripts.cli import STARTED
from zcgp.scripts.common import add_measure_args, measure_settings
from zcgp.scripts.evolve import labels_line as evolved_labels_line
from zcgp.scripts.search import print_result
from zcgp.searching import SEARCH_FILES, search
from zcgp.spaces import get_space
from zcgp.suite import COMBINE_METRIC
from zcgp.util import claim_dir, format_table


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="runs/main", metavar="DIR", help="output directory (default: runs/main)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the search (and of --evolve; default: 0)")
    parser.add_argument("--evolve", action="store_true",
                        help="build the proxy here on the four other spaces (evolve, then combine) instead of "
                             "using the shipped one")
    parser.add_argument("--dataset", default="cifar10", help="search target dataset (default: cifar10)")
    parser.add_argument("--minutes", type=float, default=3.0,
                        help="search wall time, setup included (default: 3; --evolve runs before it)")
    parser.add_argument("--evaluations", type=int, help="also stop the search after this many networks")
    add_measure_args(parser)
    parser.add_argument("--workers", type=int, default=-1, help="scoring processes (default: -1, every core)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--overwrite", action="store_true", help="replace the results already in --out")


def print_anchors(space: str) -> None:
    rows = [[name, *(f"{m:.2f} +/- {s:.2f}" for m, s in values), cost]
            for name, *values, cost, _ in ANCHORS.get(space, [])]
    if rows:
        print("\npublished zero-cost searches (no label either; reported figures, other hardware):")
        print(format_table(["method", "CIFAR-10", "CIFAR-100", "ImageNet16-120", "search cost"], rows))


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    space = get_space("nb201")
    settings = measure_settings(args)
    with claim_dir(out / "search", SEARCH_FILES, args.overwrite):
        if args.evolve:
            others = ",".join(s for s in SUITE_SPACES if s != space.name)
            print(f"== evolve a proxy on {others} (no NB201 label) -> {out / 'evolve'}", flush=True)
            evolved = evolve(others, seed=args.seed, out=out / "evolve", overwrite=args.overwrite,
                             progress=not args.quiet, metric=COMBINE_METRIC)
            combined = combine(evolved, load_tasks(others))
            combined.export(out / "evolve" / "combined.py")
            proxy = combined.proxy
            seen = ", ".join(f"{n} of {s}" for s, n in combined.labels["spaces"].items())
            print(f"evolved: {evolved.formula}\n{evolved_labels_line(evolved.labels)}\n"
                  f"combined on their labels: {proxy.formula}\nlabeled architectures it read: {seen}")
            started = time.monotonic()
        else:
            proxy = default_for(space.name)
            print(f"== the shipped {proxy}: built by zcgp on the four other spaces' labels, no NB201 label",
                  flush=True)
            started = STARTED[0]
        print(f"== search NAS-Bench-201 for {args.minutes:g} min on untrained networks -> {out / 'search'}",
              flush=True)
        minutes = max(args.minutes - (time.monotonic() - started) / 60, 1e-4)
        result = search(space, proxy, minutes=minutes, evaluations=args.evaluations, seed=args.seed,
                        task=args.dataset, settings=settings, workers=args.workers, pick="best")
        print_result(result)
        print_anchors(space.name)
        result.save(out / "search", claim=False)
    return 130 if result.interrupted else 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("run"))
