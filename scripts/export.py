"""Export a member of a finished run's hall of fame (or a Pareto front) as a standalone proxy.py.

The module needs numpy only (torch optional for proxy_torch) and reproduces the engine's
values exactly; a JSON description is written beside it (same name, .json).

examples:
  zcgp export runs/all --index 3                      # -> runs/all/proxy_hof3.py
  zcgp export runs/all --pareto cost --index 0 --out cheap_proxy.py
"""

from __future__ import annotations

import argparse
from pathlib import Path

from zcgp.run import Run
from zcgp.scripts.common import add_overwrite_arg
from zcgp.util import claim_file


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="DIR", help="output directory of `zcgp evolve`")
    parser.add_argument("--index", type=int, default=0, help="row of hall_of_fame.csv (or of the "
                        "chosen front in pareto.csv), 0 = best (default: 0)")
    parser.add_argument("--pareto", choices=("size", "cost"),
                        help="take the member from the Pareto front of (fitness, size) or (fitness, cost)")
    parser.add_argument("--out", metavar="FILE", help="path of the module (default: DIR/proxy_<which><K>.py)")
    add_overwrite_arg(parser)


def run(args: argparse.Namespace) -> int:
    which = f"pareto_{args.pareto}" if args.pareto else "hof"
    out = Path(args.out) if args.out else Path(args.run_dir) / f"proxy_{which}{args.index}.py"
    with claim_file(out, args.overwrite, companions=[out.with_suffix(".json")]):
        return _run(args, out)


def _run(args: argparse.Namespace, out: Path) -> int:
    result = Run.load(args.run_dir)
    entry, _ = result.member(args.index, args.pareto)
    result.export(out, args.index, args.pareto)
    print(f"{entry['formula_infix']}  (train fitness {entry['fitness']:.4f}, size {entry['size']})")
    print(f"wrote {out} and {out.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("export"))
