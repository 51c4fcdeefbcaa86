"""Compute zero-cost proxies of freshly initialised networks and write them to CSV.

Architectures are sampled (--archs N: N with pairwise different canonical keys, so
equivalent cells are scored once) or listed (--arch, repeatable, or --arch-file with one
per line, in any spelling of the space: the data tables' ARCH strings, NB201 benchmark
strings, NB101 JSON {"matrix", "ops"}, DARTS genotypes, TransNAS `64-...` strings).
Each network's weights are seeded by (--seed, its canonical key) and every value is the mean
over --inits initialisations, exactly as `zcgp search` measures it (zcgp.proxies.measure),
so a row does not depend on the other rows or on --n-jobs. The batch is a seeded synthetic
one or CIFAR-10 read from disk (--data cifar10:/path/to/cifar-10-batches-py).
Failed values are written as 'nan' and listed on stderr.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import sys

from zcgp.errors import UserInputError
from zcgp.proxies.measure import measure_networks
from zcgp.proxies.registry import PROXY_NAMES, resolve_names
from zcgp.scripts.common import add_measure_args, measure_settings
from zcgp.spaces import SPACES, get_space
from zcgp.spaces.base import task_shape
from zcgp.util import atomic_write_text, claim_file


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--space", default="nb201",
                        help=f"{', '.join(SPACES)} or package.module:Class (default: nb201)")
    parser.add_argument("--task", default=None,
                        help="task fixing classes and input size, e.g. cifar10, class_scene (default: the "
                             "space's first task); TransNAS tasks get synthetic 256x256 inputs")
    parser.add_argument("--archs", type=int, default=None, metavar="N",
                        help="sample N architectures with distinct canonical keys")
    parser.add_argument("--arch", action="append", default=[], metavar="ARCH",
                        help="an architecture to score (repeatable)")
    parser.add_argument("--arch-file", default=None, metavar="FILE", help="architectures, one per line")
    parser.add_argument("--names", default="all", metavar="LIST",
                        help=f"proxies, comma list or 'all' (default: all): {', '.join(PROXY_NAMES)}")
    add_measure_args(parser)
    parser.add_argument("--seed", type=int, default=0, help="seed for sampling, weights and data (default: 0)")
    parser.add_argument("--n-jobs", type=int, default=1, metavar="N",
                        help="joblib workers scoring chunks of networks, -1 = all cores; with --scheduler "
                             "ADDRESS on a dask cluster (results identical to serial; default: 1)")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="dask.distributed scheduler for --n-jobs")
    parser.add_argument("--out", required=True, metavar="FILE", help="CSV file to write ('-' for stdout)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def _architectures(args, space) -> list:
    listed = list(args.arch)
    if args.arch_file:
        try:
            with open(args.arch_file, encoding="utf-8") as fh:
                listed += [line.strip() for line in fh if line.strip() and not line.startswith("#")]
        except OSError as exc:
            raise UserInputError(f"cannot read architecture file {args.arch_file}: {exc.strerror}") from None
    archs = [space.normalize(a) for a in listed]
    if args.archs is not None:
        if args.archs < 1:
            raise UserInputError(f"--archs must be >= 1, got {args.archs}")
        archs += space.sample_distinct(args.archs, args.seed)
    if not archs:
        raise UserInputError("no architectures: give --archs N, --arch ARCH or --arch-file FILE")
    return list(dict.fromkeys(archs))          # exact repeats are scored once


def run(args: argparse.Namespace) -> int:
    with claim_file(None if args.out == "-" else args.out, args.overwrite):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    space = get_space(args.space)
    names = resolve_names(args.names)
    num_classes, resolution = task_shape(space, args.task or next(iter(space.tasks)))
    archs = _architectures(args, space)
    settings = measure_settings(args)
    result = measure_networks(space, archs, names, num_classes, resolution, settings, n_jobs=args.n_jobs,
                              scheduler=args.scheduler, progress=not args.quiet)
    text = _csv_text(space, archs, names, result)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        atomic_write_text(args.out, text)
    for failure in result.failures:
        print(f"zcgp proxies: warning: {space.to_string(archs[failure.network])}: {failure.proxy}: "
              f"{failure.reason}", file=sys.stderr)
    if not args.quiet and args.out != "-":
        print(f"wrote {len(archs)} architectures x {len(names)} proxies to {args.out} "
              f"({len(result.failures)} failed values)")
    return 0


def _csv_text(space, archs, names, result) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    describe = [space.describe(a) for a in archs]
    meta = list(describe[0]) if describe else []
    writer.writerow([*meta, *names])
    for i, info in enumerate(describe):
        values = [result[n][i] for n in names]
        writer.writerow([*(info[k] for k in meta), *("nan" if math.isnan(v) else repr(float(v)) for v in values)])
    return buffer.getvalue()


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for

    raise SystemExit(main_for("proxies"))
