"""Compute zero-cost proxies of freshly initialised networks and write them to CSV.

Architectures are sampled (--archs N: N with pairwise different canonical keys, so
equivalent cells are scored once) or listed (--arch, repeatable, or --arch-file with one
per line, in any spelling of the space: the data tables' ARCH strings, NB201 benchmark
strings, NB101 JSON {"matrix", "ops"}, DARTS genotypes, TransNAS `64-...` strings).
Each network is initialised under torch.manual_seed(--seed), so a row does not depend on
the other rows. The batch is a seeded
synthetic one or CIFAR-10 read from disk (--data cifar10:/path/to/cifar-10-batches-py).
Failed values are written as 'nan' and listed on stderr.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import sys

from zcgp.proxies.data import DEFAULT_BATCH_SIZE
from zcgp.proxies.registry import PROXY_NAMES, resolve_names
from zcgp.spaces import SPACES, get_space
from zcgp.spaces.errors import UserInputError


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
    parser.add_argument("--data", default="synthetic", metavar="SPEC",
                        help="'synthetic' (default) or 'cifar10:/path/to/cifar-10-batches-py'")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, metavar="B",
                        help=f"images per batch (default: {DEFAULT_BATCH_SIZE}; the NAS-Bench-Suite-Zero "
                             "files used 32, and nwot/jacov scale with it)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default: auto)")
    parser.add_argument("--threads", type=int, default=None, metavar="N",
                        help="torch CPU threads (default: torch's choice)")
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


def _task_shape(space, task: str | None) -> tuple[int, int]:
    tasks = getattr(space, "tasks", None) or {}
    task = task or next(iter(tasks), "")
    if task not in tasks:
        raise UserInputError(f"unknown task '{task}' for space {space.name}; known: {', '.join(tasks)}")
    return tasks[task]


def run(args: argparse.Namespace) -> int:
    from zcgp.fitness.outdir import claim_file
    with claim_file(None if args.out == "-" else args.out, args.overwrite):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    space = get_space(args.space)
    names = resolve_names(args.names)
    num_classes, resolution = _task_shape(space, args.task)
    archs = _architectures(args, space)

    import torch
    from zcgp.fitness.io import atomic_write_text
    from zcgp.proxies.compute import Sized, compute_proxies, resolve_device
    from zcgp.proxies.data import load_batch

    device = resolve_device(args.device)
    if args.threads is not None:
        if args.threads < 1:
            raise UserInputError(f"--threads must be >= 1, got {args.threads}")
        torch.set_num_threads(args.threads)
    inputs, targets = load_batch(args.data, args.batch_size, num_classes, resolution, args.seed)

    def networks():
        for arch in archs:
            torch.manual_seed(args.seed)
            yield space.build(arch, num_classes)

    if args.n_jobs != 1 or args.scheduler:
        from zcgp.proxies.parallel import compute_many
        result = compute_many(space.name, archs, names, num_classes=num_classes, resolution=resolution,
                              data=args.data, batch_size=args.batch_size, seed=args.seed, device=str(device),
                              n_jobs=args.n_jobs, scheduler=args.scheduler, threads=args.threads)
    else:
        result = compute_proxies(Sized(networks(), len(archs)), inputs, targets, names=names, device=device,
                                 seed=args.seed, progress=not args.quiet)
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
              f"({len(result.failures)} failed values) on {device}")
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
