"""Run one of the benchmarks and print its table: zcgp bench NAME [options].

Each benchmark measures the fast path and its reference side by side in one run and prints
the ratio. `zcgp bench NAME --help` lists a benchmark's options; `python
scripts/bench_NAME.py` is the same command.
"""

from __future__ import annotations

import argparse
import importlib

from zcgp.errors import ZcgpError
from zcgp.scripts.cli import OneLineParser

BENCHES = {
    "rank": "zcgp.scripts.bench_rank",
    "gp": "zcgp.scripts.bench_gp",
    "proxies": "zcgp.scripts.bench_proxies",
    "search": "zcgp.scripts.bench_search",
    "scale": "zcgp.scripts.bench_scale",
    "transfer": "zcgp.scripts.bench_transfer",
    "fewshot": "zcgp.scripts.bench_fewshot",
}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=list(BENCHES), help="which benchmark")
    parser.add_argument("options", nargs=argparse.REMAINDER, help="options of that benchmark")


def run(args: argparse.Namespace) -> int:
    try:
        module = importlib.import_module(BENCHES[args.name])
    except ModuleNotFoundError as exc:
        if exc.name != BENCHES[args.name]:
            raise
        raise ZcgpError(f"benchmark '{args.name}' is not available in this version") from None
    parser = OneLineParser(prog=f"zcgp bench {args.name}", description=module.__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    module.configure(parser)
    return module.run(parser.parse_args(args.options))
