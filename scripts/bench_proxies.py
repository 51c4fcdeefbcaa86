"""Benchmark: shared-pass proxy computation vs one pass per proxy, and agreement with the data.

1. Speed (CPU): the proxies of --names (default synflow+jacov+snip+grad_norm) of N sampled
   NB201 networks (default 50) in one `compute_proxies` call per network (shared passes) vs
   one pass per proxy with this module (`names=[proxy]`) and, when every proxy timed is one
   of those four, the way NASLib computes them (a network copy, forward and full backward
   per proxy). Sides rotate per network so background load hits all alike; the values must
   agree. Prints per-network milliseconds and the speed-ups.
2. Agreement (any space, --space/--task): for M architectures of the task's data file
   (default 50), Spearman between the proxies computed here (synthetic batch of the task's
   input shape, or --resolution, fresh weights) and the file's values, and CPU seconds per
   network; plus the exact size check over every row (NB201: params and flops of its three
   tasks; other spaces: the closed-form params).

example: python scripts/bench_proxies.py --networks 50 --archs 100
         zcgp bench proxies --space nb301 --skip-speed --batch-size 32
"""

from __future__ import annotations

import argparse
import copy
import time
import types

import numpy as np

from zcgp.bench.proxy_agreement import exact_params, formula_accuracy, proxy_agreement
from zcgp.errors import UserInputError
from zcgp.fitness.sources import load_tasks
from zcgp.nas.objectives import table_task
from zcgp.proxies.measure import build_network
from zcgp.proxies.registry import PROXIES, REQUIRED, resolve_names
from zcgp.searching import load_formula
from zcgp.spaces import get_space, nb201
from zcgp.util import format_table

FILE_PROXIES = tuple(name for name, spec in PROXIES.items() if spec.in_benchmark)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--networks", type=int, default=50, help="networks for the speed part (default: 50)")
    parser.add_argument("--space", default="nb201", help="space of the agreement part (default: nb201)")
    parser.add_argument("--task", default=None, help="task of the agreement part (default: the space's first)")
    parser.add_argument("--archs", type=int, default=50,
                        help="data-file architectures for the agreement part (default: 50)")
    parser.add_argument("--resolution", type=int, default=None,
                        help="agreement inputs of this size instead of the task's (e.g. 64 for TransNAS on a CPU)")
    parser.add_argument("--names", default=",".join(REQUIRED),
                        help="proxies timed (default: %(default)s, the ones with a NASLib-style reference; "
                             "with any other, that side is left out)")
    parser.add_argument("--agreement-names", default=None,
                        help="proxies compared with the file (default: all the file has but params, flops)")
    parser.add_argument("--batch-size", type=int, default=64, help="batch size (default: 64)")
    parser.add_argument("--device", default="cpu", help="device (default: cpu)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (default: 1; more threads on a shared machine oversubscribe "
                             "the cores and make timings meaningless)")
    parser.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    parser.add_argument("--data-dir", default=None, help="NAS-Bench-Suite-Zero directory (default: shipped copy)")
    parser.add_argument("--batch-sizes", default=None, metavar="LIST",
                        help="agreement at each of these batch sizes (e.g. 8,16,32): one column of Spearman with "
                             "the accuracy per batch size, and the CPU seconds per network of each")
    parser.add_argument("--proxy", action="append", default=[], metavar="RUN",
                        help="with --batch-sizes: also an evolved formula (run directory, proxy.json or formula "
                             "text), computed from the same values; repeatable")
    parser.add_argument("--skip-speed", action="store_true", help="only the agreement part")
    parser.add_argument("--skip-agreement", action="store_true", help="only the speed part")


def naslib_style(net, inputs, targets, name: str) -> float:
    """One proxy computed the way NASLib does it: a deep copy of the network per proxy, its
    own forward and a full backward (all parameters), snip through unit weight masks, the
    Jacobian via y.backward(ones) and np.linalg.eig. NASLib's per-proxy data loading and
    gc.collect() are left out (they would only widen the gap). The reference side of the
    speed table."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    clone = copy.deepcopy(net)
    layers = [m for m in clone.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    if name == "synflow":
        for module in clone.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.forward = types.MethodType(lambda self, x: x, module)
        clone.double()
        signs = {}
        with torch.no_grad():
            for key, value in clone.state_dict().items():
                signs[key] = torch.sign(value)
                value.abs_()
        clone.zero_grad()
        clone(torch.ones((1, *inputs.shape[1:]), dtype=torch.float64)).sum().backward()
        total = sum(float((m.weight.detach() * m.weight.grad).abs().sum()) for m in layers if m.weight.grad is not None)
        with torch.no_grad():
            for key, value in clone.state_dict().items():
                value.mul_(signs[key])
        return float(np.log(total))
    if name == "jacov":
        clone.zero_grad()
        x = inputs.clone().requires_grad_(True)
        y = clone(x)
        y.backward(torch.ones_like(y))
        jac = x.grad.detach().reshape(len(x), -1).numpy()
        try:
            eig, _ = np.linalg.eig(np.corrcoef(jac))
        except np.linalg.LinAlgError:          # NASLib catches it: e.g. an output blind to the input
            return float("nan")
        return float(-np.sum(np.log(eig + 1e-5) + 1.0 / (eig + 1e-5)).real)
    if name == "snip":
        for m in layers:
            m.weight_mask = nn.Parameter(torch.ones_like(m.weight))
            m.weight.requires_grad = False
            if isinstance(m, nn.Conv2d):
                m.forward = types.MethodType(lambda self, x: F.conv2d(
                    x, self.weight * self.weight_mask, self.bias, self.stride, self.padding, self.dilation,
                    self.groups), m)
            else:
                m.forward = types.MethodType(lambda self, x: F.linear(x, self.weight * self.weight_mask,
                                                                      self.bias), m)
    clone.zero_grad()
    F.cross_entropy(clone(inputs), targets).backward()
    if name == "snip":
        return float(sum(m.weight_mask.grad.abs().sum() for m in layers))
    if name == "grad_norm":
        return float(sum(m.weight.grad.norm() for m in layers if m.weight.grad is not None))
    raise ValueError(f"no NASLib-style reference for {name}")


def speed(args) -> None:
    from zcgp.proxies.compute import compute_proxies
    from zcgp.proxies.data import load_batch

    names = resolve_names(args.names)
    unreferenced = [n for n in names if n not in REQUIRED]
    compared = ("own",) if unreferenced else ("own", "naslib")
    archs = nb201.SPACE.sample_distinct(args.networks, args.seed)
    inputs, targets = load_batch("synthetic", args.batch_size, 10, 32, args.seed)
    warm = build_network(nb201.SPACE, archs[0], args.seed, 10)
    compute_proxies(warm, inputs, targets, names=names, device="cpu")
    naslib_style(warm, inputs, targets, "snip")
    seconds = {"shared": 0.0, **{(side, n): 0.0 for side in compared for n in names}}
    worst = dict.fromkeys(compared, 0.0)

    def timed(key, fn):
        start = time.process_time()          # CPU time: robust to other jobs on a shared machine
        value = fn()
        seconds[key] += time.process_time() - start
        return value

    shared_values: list[float] = []
    for i, arch in enumerate(archs):
        net = build_network(nb201.SPACE, arch, args.seed, 10)
        sides = {
            "shared": lambda net=net: timed("shared", lambda: compute_proxies(
                net, inputs, targets, names=names, device="cpu", seed=args.seed)),
            "own": lambda net=net: {n: timed(("own", n), lambda n=n: compute_proxies(
                net, inputs, targets, names=[n], device="cpu", seed=args.seed)[n][0]) for n in names},
            "naslib": lambda net=net: {n: timed(("naslib", n), lambda n=n: naslib_style(net, inputs, targets, n))
                                       for n in names},
        }
        sides = {side: fn for side, fn in sides.items() if side == "shared" or side in compared}
        order = list(sides)[i % len(sides):] + list(sides)[:i % len(sides)]   # rotate so load hits all sides
        values = {side: sides[side]() for side in order}
        shared_values += [values["shared"][n][0] for n in names]
        for side in compared:
            for n in names:
                ours, theirs = values["shared"][n][0], values[side][n]
                if np.isfinite(ours) or np.isfinite(theirs):       # failing on both sides agrees
                    worst[side] = max(worst[side], abs(ours - theirs) / max(abs(theirs), 1e-12))
    count = len(archs)

    def ms(total):
        return f"{1e3 * total / count:.1f}"

    rows = [[n, *(ms(seconds[(side, n)]) for side in compared)] for n in names]
    totals = [sum(seconds[(side, n)] for n in names) for side in compared]
    footer = [["all, one pass per proxy", *(ms(t) for t in totals)],
              ["all, shared passes (one call)", *(ms(seconds["shared"]) for _ in compared)],
              ["speed-up of the shared passes", *(f"{t / seconds['shared']:.2f}x" for t in totals)]]
    failed = sum(int(np.isnan(v)) for v in shared_values)
    labels = {"own": "own passes", "naslib": "NASLib-style"}
    differences = ", ".join(f"{labels[side]} {worst[side]:.1e}" for side in compared)
    print(f"speed: {count} NB201 networks (cifar10), synthetic batch {args.batch_size}, CPU time with "
          f"{args.threads} thread(s); max relative difference to the shared values: "
          f"{differences} ({failed} values NaN on all sides)")
    if unreferenced:
        print(f"no NASLib-style pass for {', '.join(unreferenced)}: that side is left out")
    headers = {"own": "this module, own pass", "naslib": "NASLib-style pass"}
    print(format_table(["proxy (ms / network)", *(headers[side] for side in compared)], rows, footer))


def agreement(args) -> None:

    space = get_space(args.space)
    task_name = args.task or next(iter(space.tasks))
    if space.name == "nb201":
        _nb201_sizes(args)
    else:
        checked = exact_params(space, task_name, args.data_dir)
        if checked is not None:
            print(f"exact params ({space.name} param_count vs every {task_name} row): {checked[0]} rows, "
                  f"max relative difference {checked[1]:.1e}")
    present = table_task(space, task_name, args.data_dir).proxies
    names = (resolve_names(args.agreement_names) if args.agreement_names else
             tuple(n for n in FILE_PROXIES if n in present and n not in ("params", "flops")))
    if args.batch_sizes:
        return _by_batch_size(args, space, task_name, names)
    found = proxy_agreement(space, task_name, names, archs=args.archs, batch_size=args.batch_size,
                            resolution=args.resolution, seed=args.seed, device=args.device, data_dir=args.data_dir,
                            progress=True)
    table = [[r["name"], r["n"], f"{r['spearman_table']:.3f}", f"{r['spearman_accuracy']:.3f}",
              f"{r['median_ours']:.4g}", f"{r['median_table']:.4g}"] for r in found.rows]
    print(f"agreement: {found.networks} {found.task} architectures from the data file, synthetic batch "
          f"{found.batch_size} x 3 x {found.resolution} x {found.resolution}, fresh weights; "
          f"{found.cpu_seconds_per_network:.2f} CPU s / network for all {len(names)} proxies, "
          f"{args.threads} thread(s) ({found.failures} failed values)")
    print(format_table(["proxy", "n", "Spearman vs file", "Spearman vs val acc", "median ours",
                        "median file"], table))


def _by_batch_size(args, space, task_name, names) -> None:

    try:
        sizes = [int(b) for b in args.batch_sizes.split(",")]
    except ValueError:
        raise UserInputError(f"--batch-sizes expects integers such as 8,16,32, got '{args.batch_sizes}'") from None
    formulas = [(str(p), load_formula(p)) for p in args.proxy]
    needed = tuple(dict.fromkeys([*names, *(t for _, f in formulas for t in f.terminals)]))
    found = [proxy_agreement(space, task_name, needed, archs=args.archs, batch_size=b, resolution=args.resolution,
                             seed=args.seed, device=args.device, data_dir=args.data_dir, progress=True)
             for b in sizes]
    rows = [[r["name"], *(f"{f.rows[i]['spearman_accuracy']:.3f}" for f in found)]
            for i, r in enumerate(found[0].rows)]
    rows += [[label, *(f"{formula_accuracy(f, formula):.3f}" for f in found)] for label, formula in formulas]
    footer = [["CPU s / network", *(f"{f.cpu_seconds_per_network:.3f}" for f in found)]]
    print(f"Spearman with the validation accuracy by input batch size: {found[0].networks} {found[0].task} "
          f"architectures from the data file, synthetic batches, fresh weights, {args.threads} thread(s)")
    print(format_table(["proxy", *(f"batch {b}" for b in sizes)], rows, footer))


def _nb201_sizes(args) -> None:
    tasks = {t.id.split("/")[1]: t for t in load_tasks("nb201", data_dir=args.data_dir)}
    exact = []
    for task_name, task in tasks.items():
        classes, resolution = nb201.TASKS[task_name]
        ours_p = np.array([nb201.param_count(a, classes) / 1e6 for a in task.archs])
        ours_f = np.array([nb201.flop_count(a, classes, resolution) / 1e6 for a in task.archs])
        exact.append([task_name, task.n, f"{np.abs(ours_p - task.column('params')).max():.1e}",
                      f"{np.abs(ours_f - task.column('flops')).max():.1e}"])
    print("exact size counts (spaces.nb201.param_count / flop_count vs every file row, millions)")
    print(format_table(["task", "rows", "max |params diff|", "max |flops diff|"], exact))


def run(args: argparse.Namespace) -> int:
    import torch

    torch.set_num_threads(max(1, args.threads))
    if not args.skip_speed:
        speed(args)
    if not args.skip_agreement:
        if not args.skip_speed:
            print()
        agreement(args)
    return 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for

    raise SystemExit(main_for("bench", "proxies"))
