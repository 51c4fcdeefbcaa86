"""Files of a finished run: result.json, proxy.py, hall_of_fame.csv, pareto.csv, logbook.csv, PNGs."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from zcgp.errors import ZcgpError
from zcgp.gp import plots as plotting
from zcgp.gp.archive import Entry
from zcgp.gp.export import write_proxy
from zcgp.gp.formula import infix
from zcgp.gp.primitives import make_pset, parse_tree
from zcgp.gp.simplify import simplify_tree
from zcgp.util import atomic_write_json, atomic_write_text

RESULT = "result.json"
# every file `zcgp evolve` writes into its --out directory
RUN_FILES = (RESULT, "checkpoint.pkl", "proxy.py", "proxy.json", "hall_of_fame.csv", "pareto.csv",
             "logbook.csv", "fitness.png", "test_tau.png")


def entry_dict(index: int, e: Entry, pset) -> dict:
    tree = parse_tree(e.key, pset)
    return {"index": index, "fitness": e.fitness, "size": e.size, "depth": e.depth,
            "cost_s": e.cost,
            "formula": e.key, "formula_infix": infix(tree)}


def _csv(header: list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else (f"{v:.6f}" if isinstance(v, float) else v) for v in row])
    return buffer.getvalue()


def cost_info(entry: dict, result: dict) -> dict:
    """The seconds per network measured on this machine for a result entry, and where, for
    proxy.json (empty when the run measured none)."""
    if entry.get("seconds_per_network") is None:
        return {}
    return {"seconds_per_network": entry["seconds_per_network"], "cost_measured_on": result.get("cost_measured_on")}


def archive_csvs(result: dict) -> tuple[str, str]:
    hof = _csv(["index", "fitness", "size", "depth", "cost_s", "formula", "formula_infix"],
               [[e["index"], e["fitness"], e["size"], e["depth"], e["cost_s"], e["formula"], e["formula_infix"]]
                for e in result["hall_of_fame"]])
    pareto = _csv(["front", "index", "fitness", "size", "cost_s", "seconds_per_network", "formula", "formula_infix"],
                  [[front, e["index"], e["fitness"], e["size"], e["cost_s"], e.get("seconds_per_network"),
                    e["formula"], e["formula_infix"]]
                   for front in ("size", "cost") for e in result[f"pareto_{front}"]])
    return hof, pareto


def logbook_csv(logbook: list[dict]) -> str:
    if not logbook:
        return ""
    header = list(logbook[0])
    return _csv(header, [[r.get(k) for k in header] for r in logbook])


def write_run(out: Path, result: dict, logbook: list[dict], best_tree, terminals, transform: str,
              plots: bool = True) -> list[Path]:
    """Write every output of a run; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    atomic_write_json(out / RESULT, result)
    written.append(out / RESULT)
    info = {"train_fitness": result["best"]["train_fitness"], "metric": result["config"]["metric"],
            "tasks": result["config"]["train_tasks"], "seed": result["seed"],
            "train_fraction": result["config"]["train_fraction"], "labels": result.get("labels"),
            **cost_info(result["best"], result)}
    written.append(write_proxy(out / "proxy.py", best_tree, terminals, transform,
                               result["best"]["formula_simplified"], info, result_missing(result)))
    hof, pareto = archive_csvs(result)
    for name, text in (("hall_of_fame.csv", hof), ("pareto.csv", pareto), ("logbook.csv", logbook_csv(logbook))):
        atomic_write_text(out / name, text)
        written.append(out / name)
    if plots:
        metric = result["config"]["metric"]
        for path in (plotting.fitness_plot(logbook, out / "fitness.png", metric),
                     plotting.task_plot(result["tasks"], out / "test_tau.png", metric)):
            if path is not None:
                written.append(path)
    return written


def load_result(directory) -> dict:
    path = Path(directory) / RESULT if Path(directory).is_dir() else Path(directory)
    if not path.is_file():
        raise ZcgpError(f"no {RESULT} in {directory}")
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
        result["config"]["terminals"], result["config"]["transform"], result["hall_of_fame"]
        result["best"]["formula"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ZcgpError(f"{path} is not a readable zcgp result ({type(exc).__name__})") from None
    return result


def result_member(result: dict, index: int, front: str | None = None) -> tuple[dict, object, tuple]:
    """(entry dict, tree, terminals) of hall-of-fame member `index` or of a Pareto front."""
    terminals = tuple(result["config"]["terminals"])
    pset = make_pset(terminals)
    listing = result["hall_of_fame"] if front is None else result.get(f"pareto_{front}", [])
    name = "hall of fame" if front is None else f"Pareto front ({front})"
    if not 0 <= index < len(listing):
        raise ZcgpError(f"--index {index} is out of range: the {name} has {len(listing)} member(s)")
    entry = listing[index]
    return entry, parse_tree(entry["formula"], pset), terminals


def result_missing(result: dict) -> str:
    """The run's missing-proxy mode."""
    return result["config"].get("missing", "exclude")


def simplified(tree, transform: str) -> str:
    return simplify_tree(tree, nonnegative=(transform == "rank"))
