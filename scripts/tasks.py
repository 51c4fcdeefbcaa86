"""List the tasks (shipped, or of your own table) and write them as long CSV tables.

A long table has one row per (task, architecture): task, arch, one column per proxy (empty =
missing) and accuracy. `--to-csv DIR` writes DIR/<space>.csv for the selected tasks, the
format `zcgp evolve --data`, `zcgp evaluate --data` and `zcgp.load_tasks(data=...)` read.

examples:
  zcgp tasks
  zcgp tasks --tasks nb201 --to-csv tables/      # -> tables/nb201.csv
  zcgp evolve --data tables/nb201.csv --out runs/from_csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

from zcgp.fitness.sources import load_tasks
from zcgp.fitness.table import write_csv
from zcgp.scripts.common import add_data_args
from zcgp.util import format_table


def configure(parser: argparse.ArgumentParser) -> None:
    add_data_args(parser)
    parser.add_argument("--data", metavar="TABLE", help="list the tasks of your own table (or directory)")
    parser.add_argument("--to-csv", metavar="DIR", help="write DIR/<space>.csv (one long table per space)")


def run(args: argparse.Namespace) -> int:
    tasks = load_tasks(args.tasks, data=args.data, data_dir=args.data_dir)
    rows = [[t.id, t.n, len(t.proxies), ", ".join(t.proxies),
             ", ".join(f"{p} ({c:.0%})" for p, c in t.dropped.items()) or "-"] for t in tasks]
    print(format_table(["task", "archs", "proxies", "names", "unusable (coverage)"], rows))
    if args.to_csv:
        spaces: dict[str, list] = {}
        for t in tasks:
            spaces.setdefault(t.space, []).append(t)
        for space, members in spaces.items():
            path = write_csv(members, Path(args.to_csv) / f"{space.replace('/', '_')}.csv")
            print(f"wrote {path} ({len(members)} task(s), {sum(t.n for t in members)} rows)")
    return 0


if __name__ == "__main__":
    from zcgp.scripts.cli import main_for
    raise SystemExit(main_for("tasks"))
