"""Test-split rank correlation of every hand-crafted proxy, the best one and a linear baseline.

For each selected task, on the shared train/test split (see --seed, --train-fraction):
  * every hand-crafted proxy as it is (higher score = predicted better),
  * `best`: the proxy with the highest train Kendall, and its test value,
  * `linear`: least squares of the target rank on per-task proxy ranks, fitted on train.
A mean row closes each table. These are the numbers every evolved proxy is compared with.

example: zcgp baselines --tasks all --seed 0 --out runs/baselines
"""

from __future__ import annotations

import argparse
import csv
import io
import time

from zcgp.evaluation import baselines
from zcgp.fitness.baselines import mean_row
from zcgp.fitness.rank import METRICS
from zcgp.fitness.tasks import PROXY_ORDER
from zcgp.scripts.common import add_data_args, add_overwrite_arg
from zcgp.util import atomic_write_json, atomic_write_text, claim_dir, format_table

SHORT = {"grad_norm": "gradn", "l2_norm": "l2", "epe_nas": "epe", "synflow": "synfl"}


def configure(parser: argparse.ArgumentParser) -> None:
    add_data_args(parser)
    parser.add_argument("--data", metavar="TABLE", help="your own tasks: a long .csv / .parquet table (or a "
                        "directory of them) instead of the shipped tables")
    parser.add_argument("--metric", choices=[*METRICS, "both"], default="both",
                        help="which correlation table(s) to print (default: both)")
    parser.add_argument("--out", metavar="DIR", help="also write DIR/baselines.json and DIR/baselines.csv")
    add_overwrite_arg(parser)


def _proxy_columns(rows: list[dict]) -> list[str]:
    present = {p for r in rows for p in r["proxies"]}
    return [p for p in PROXY_ORDER if p in present] + sorted(present - set(PROXY_ORDER))


def metric_table(rows: list[dict], metric: str) -> str:
    proxies = _proxy_columns(rows)
    header = ["task", *(SHORT.get(p, p) for p in proxies), "best", "best(name)", "linear"]
    body = [[r["task"], *(r["proxies"].get(p, {}).get("test", {}).get(metric) for p in proxies),
             r["best_proxy"]["test"][metric], r["best_proxy"]["name"], r["linear_rank"]["test"][metric]]
            for r in rows]
    mean = ["mean", *(mean_row(rows, ("proxies", p, "test", metric)) for p in proxies),
            mean_row(rows, ("best_proxy", "test", metric)), "", mean_row(rows, ("linear_rank", "test", metric))]
    return f"test {metric} ({len(rows)} tasks)\n" + format_table(header, body, [mean])


def to_csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["task", "method", "split", *METRICS])
    for r in rows:
        methods = [*r["proxies"].items(), (f"best:{r['best_proxy']['name']}", r["best_proxy"]),
                   ("linear_rank", r["linear_rank"])]
        for name, entry in methods:
            for split in ("train", "test"):
                writer.writerow([r["task"], name, split, *(f"{entry[split][m]:.6f}" for m in METRICS)])
    return buffer.getvalue()


def run(args: argparse.Namespace) -> int:
    with claim_dir(args.out, ("baselines.json", "baselines.csv"), args.overwrite):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    result = baselines(args.tasks, seed=args.seed, train_fraction=args.train_fraction, data=args.data,
                       data_dir=args.data_dir)
    rows = result["tasks"]
    for metric in (METRICS if args.metric == "both" else [args.metric]):
        print(metric_table(rows, metric), end="\n\n")
    if args.out:
        atomic_write_json(f"{args.out}/baselines.json", result)
        atomic_write_text(f"{args.out}/baselines.csv", to_csv(rows))
        print(f"wrote {args.out}/baselines.json and {args.out}/baselines.csv")
    print(f"{len(rows)} tasks in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("baselines"))
