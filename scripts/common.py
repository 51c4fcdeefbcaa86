"""Options and output helpers shared by the commands."""

from __future__ import annotations

import argparse

from zcgp.fitness.data import ENV_DATA_DIR
from zcgp.fitness.splits import DEFAULT_TRAIN_FRACTION
from zcgp.proxies.measure import MeasureSettings


def add_overwrite_arg(parser: argparse.ArgumentParser) -> None:
    """The --overwrite flag of every command that writes --out (see zcgp.util.claim_dir)."""
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the results already in --out (default: refuse them)")


def add_data_args(parser: argparse.ArgumentParser, tasks_default: str | None = "all") -> None:
    parser.add_argument("--tasks", default=tasks_default, metavar="SEL",
                        help="task ids (comma list), a space prefix such as nb201, or 'all' "
                             f"(default: {tasks_default})")
    parser.add_argument("--data-dir", default=None, metavar="DIR",
                        help=f"directory with the NAS-Bench-Suite-Zero JSON files "
                             f"(default: ${ENV_DATA_DIR} or the copies shipped with zcgp)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--train-fraction", type=float, default=DEFAULT_TRAIN_FRACTION,
                        metavar="F", help="share of each task used for fitting/evolving; the rest "
                                          f"is the test split (default: {DEFAULT_TRAIN_FRACTION})")


def add_measure_args(parser: argparse.ArgumentParser, device: bool = True) -> None:
    """How proxies of fresh networks are measured (`proxies.measure.MeasureSettings`)."""
    d = MeasureSettings()
    parser.add_argument("--data", default=d.data, metavar="SPEC",
                        help="input batch: synthetic (default, a seeded random batch) or "
                             "cifar10:/path/to/cifar-10-batches-py")
    parser.add_argument("--batch-size", type=int, default=d.batch_size, metavar="B",
                        help=f"inputs in the one minibatch (default: {d.batch_size}; the NAS-Bench-Suite-Zero "
                             "values used 32, which ranks NB201 alike at about 1.7x the cost)")
    parser.add_argument("--inits", type=int, default=d.inits, metavar="R",
                        help=f"average each proxy over R weight initialisations of a network (default: "
                             f"{d.inits}; R times the cost per network, less noise from the initial weights)")
    if device:
        parser.add_argument("--device", default=d.device, help="auto (default), cpu, cuda or cuda:N")
    parser.add_argument("--threads", type=int, default=d.threads,
                        help=f"torch CPU threads per worker process (default: {d.threads}; more threads slow down "
                             "badly when other processes share the cores; 0 = torch's default)")


def measure_settings(args: argparse.Namespace, seed: int | None = None) -> MeasureSettings:
    """MeasureSettings from the options of `add_measure_args`."""
    return MeasureSettings(data=args.data, batch_size=args.batch_size, inits=args.inits,
                           seed=args.seed if seed is None else seed, device=getattr(args, "device", "auto"),
                           threads=args.threads or None).validate()


class Progress:
    """A tqdm bar on stderr that appears with its first update (nothing is printed before the
    inputs are validated and work has begun)."""

    def __init__(self, total: int | None, desc: str, *, disabled: bool = False, unit: str = "it"):
        self.total, self.desc, self.disabled, self.unit, self.bar = total, desc, disabled, unit, None

    def update(self, done: int, **postfix) -> None:
        if self.disabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, unit=self.unit, desc=self.desc)
        self.bar.update(done - self.bar.n)
        if postfix:
            self.bar.set_postfix(**postfix, refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
