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

__all__ = ["RESULT", "RUN_FILES", "cost_info", "entry_dict", "load_result", "result_member", "result_missing",
           "simplified", "write_run"]

RESULT = "result.json"
# every file `zcgp evolve` writes into its --out directory
RUN_FILES = (RESULT, "checkpoint.pkl", "proxy.py", "proxy.json", "hall_of_fame.csv", "pareto.csv",
             "logbook.csv", "fitness.png", "test_tau.png")


def entry_dict(index: int, e: Entry, pset) -> dict:
    """An archive entry as a result.json record.

    Parameters
    ----------
    index : int
        Its position in the listing.
    e : Entry
        The entry.
    pset : deap.gp.PrimitiveSetTyped
        The run's primitive set (to parse the key for the infix form).

    Returns
    -------
    dict
        {"index", "fitness", "size", "depth", "cost_s", "formula", "formula_infix"}.
    """
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
    """The measured seconds per network of a result entry, and where they were measured.

    These go into proxy.json; the dict is empty when the run measured none.

    Parameters
    ----------
    entry : dict
        A result entry (e.g. result["best"]).
    result : dict
        The whole result (for "cost_measured_on").

    Returns
    -------
    dict
        {"seconds_per_network", "cost_measured_on"}, or {}.
    """
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
    """Write every output of a run; returns the paths written.

    Parameters
    ----------
    out : pathlib.Path
        The run directory (created if missing).
    result : dict
        The run's result (written as result.json; also the source of the archives' CSVs and
        of proxy.py's INFO).
    logbook : list of dict
        The engine's logbook (logbook.csv, fitness.png).
    best_tree : deap.gp.PrimitiveTree
        The final formula (proxy.py).
    terminals : sequence of str
        The run's terminals, in canonical order.
    transform : str
        The run's input transform.
    plots : bool, default True
        Also write the PNG plots (when matplotlib is installed).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
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
    """Read a run's result.json.

    Parameters
    ----------
    directory : str or path
        A run directory, or the result file itself.

    Returns
    -------
    dict
        The result.

    Raises
    ------
    ZcgpError
        When the file is missing, unreadable, not JSON, or lacks the config's terminals and
        transform, the hall of fame or the best formula.
    """
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
    """(entry dict, tree, terminals) of hall-of-fame member `index` or of a Pareto front.

    Parameters
    ----------
    result : dict
        A run's result (`load_result`).
    index : int
        The member's position (0 = best).
    front : str, optional
        "size" or "cost" for a Pareto front; default the hall of fame.

    Returns
    -------
    entry : dict
        The member's record.
    tree : deap.gp.PrimitiveTree
        Its formula over the run's terminals.
    terminals : tuple of str
        The run's terminals.

    Raises
    ------
    ZcgpError
        When `index` is out of range.
    """
    terminals = tuple(result["config"]["terminals"])
    pset = make_pset(terminals)
    listing = result["hall_of_fame"] if front is None else result.get(f"pareto_{front}", [])
    name = "hall of fame" if front is None else f"Pareto front ({front})"
    if not 0 <= index < len(listing):
        raise ZcgpError(f"--index {index} is out of range: the {name} has {len(listing)} member(s)")
    entry = listing[index]
    return entry, parse_tree(entry["formula"], pset), terminals


def result_missing(result: dict) -> str:
    """The run's missing-proxy mode.

    Parameters
    ----------
    result : dict
        A run's result.

    Returns
    -------
    str
        `result["config"]["missing"]`, "exclude" when absent.
    """
    return result["config"].get("missing", "exclude")


def simplified(tree, transform: str) -> str:
    """The display form of a formula (`gp.simplify.simplify_tree`).

    Parameters
    ----------
    tree : deap.gp.PrimitiveTree
        The formula.
    transform : str
        The run's input transform; under "rank" the terminals are nonnegative.

    Returns
    -------
    str
        The simplified formula.
    """
    return simplify_tree(tree, nonnegative=(transform == "rank"))
