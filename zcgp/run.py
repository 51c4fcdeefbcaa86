"""`Run`: a finished evolution as data (its result.json), in memory or read from a run directory.

`Run.load(dir)` reads JSON only (and logbook.csv when present); nothing in the directory is
imported or executed. Tables (`hall_of_fame`, `pareto`, `scores`) are pandas DataFrames
when pandas is installed, else lists of dicts (records).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from zcgp.gp.export import write_proxy
from zcgp.gp.hygiene import check_formula
from zcgp.gp.primitives import make_pset, parse_tree
from zcgp.gp.results import (
    cost_info,
    load_result,
    result_member,
    result_missing,
    simplified,
    write_run,
)
from zcgp.gp.simplify import to_sympy
from zcgp.proxy import Proxy


def as_table(records: list[dict]):
    """A DataFrame of the records if pandas is installed, else the records themselves.

    Parameters
    ----------
    records : list of dict
        Rows with the same keys.
    """
    try:
        import pandas as pd
    except ImportError:
        return records
    return pd.DataFrame.from_records(records)


def _num(x):
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else x


def score_records(rows: list[dict], metric: str) -> list[dict]:
    """Per task: the formula's train/test score beside every hand-crafted proxy (test) and the baselines.

    Parameters
    ----------
    rows : list of dict
        The "tasks" rows of a result (`gp.report.formula_rows`).
    metric : str
        A metric the rows were scored in.

    Returns
    -------
    list of dict
        One record per task: task, role, evolved_train, evolved_test, best_proxy,
        best_proxy_test, linear_rank_test and one column per proxy (None where undefined).
    """
    proxies = []
    for r in rows:
        proxies += [p for p in r["proxies"] if p not in proxies]
    out = []
    for r in rows:
        evolved = r.get("evolved") or {}
        rec = {"task": r["task"], "role": r.get("role", "evolved on"),
               "evolved_train": _num((evolved.get("train") or {}).get(metric)),
               "evolved_test": _num((evolved.get("test") or {}).get(metric)),
               "best_proxy": r["best_proxy"]["name"], "best_proxy_test": _num(r["best_proxy"]["test"][metric]),
               "linear_rank_test": _num(r["linear_rank"]["test"][metric])}
        for p in proxies:
            rec[p] = _num(r["proxies"][p]["test"][metric]) if p in r["proxies"] else None
        out.append(rec)
    return out


class Run:
    """An evolved formula with its archives and per-task scores (the content of result.json).

    Parameters
    ----------
    result : dict
        The content of `result.json` (what `zcgp.evolve` builds).
    logbook : list of dict, optional
        One row per generation.
    directory : path, optional
        Where the run is saved, if it is.

    Examples
    --------
    >>> import zcgp
    >>> run = zcgp.evolve("nb201/cifar10", population=30, generations=1, progress=False)
    >>> run.labels["tasks"]
    {'nb201/cifar10': 145}
    """

    def __init__(self, result: dict, logbook: list[dict] | None = None, directory=None):
        self.result = result
        self.logbook = list(logbook or [])
        self.directory = None if directory is None else Path(directory)

    @classmethod
    def load(cls, directory) -> Run:
        """Read a `zcgp evolve` output directory (or its result.json) as data.

        Parameters
        ----------
        directory : path

        Returns
        -------
        Run

        Raises
        ------
        ZcgpError
            No result.json there, or an unreadable one.
        """
        result = load_result(directory)
        folder = Path(directory) if Path(directory).is_dir() else Path(directory).parent
        logbook = []
        path = folder / "logbook.csv"
        if path.is_file():
            with open(path, encoding="utf-8", newline="") as fh:
                logbook = [{k: _parse(v) for k, v in row.items()} for row in csv.DictReader(fh)]
        return cls(result, logbook, folder)

    def __repr__(self) -> str:
        return (f"Run(formula={self.formula!r}, fitness={self.fitness:.4f}, "
                f"tasks={len(self.result['config']['train_tasks'])})")

    # ---- the formula ---------------------------------------------------------------------
    @property
    def formula(self) -> str:
        """The chosen formula, infix (parseable by `zcgp.Proxy`)."""
        return self.result["best"]["formula_infix"]

    @property
    def fitness(self) -> float:
        return self.result["best"]["train_fitness"]

    @property
    def labels(self) -> dict | None:
        """The labels the formula was evolved on: {"tasks": {task: labeled architectures},
        "spaces": {space: distinct labeled architectures}} (`fitness.splits.label_counts`)."""
        return self.result.get("labels")

    @property
    def config(self) -> dict:
        return self.result["config"]

    @property
    def terminals(self) -> tuple[str, ...]:
        return tuple(self.config["terminals"])

    @property
    def transform(self) -> str:
        return self.config["transform"]

    @property
    def missing(self) -> str:
        return result_missing(self.result)

    @property
    def metric(self) -> str:
        return self.config["metric"]

    def member(self, index: int | None = None, front: str | None = None) -> tuple[dict, object]:
        """The chosen formula (index None), a hall-of-fame member or a Pareto member.

        Parameters
        ----------
        index : int, optional
            Position in the hall of fame, or in `front`.
        front : str, optional
            "size" or "cost": the Pareto front `index` refers to.

        Returns
        -------
        tuple
            (entry dict, deap tree).
        """
        if index is None and front is None:
            best = self.result["best"]
            tree = parse_tree(best["formula"], make_pset(self.terminals))
            return {**best, "fitness": best["train_fitness"]}, tree
        entry, tree, _ = result_member(self.result, index or 0, front)
        return entry, tree

    def sympy(self, index: int | None = None, front: str | None = None):
        """The formula as a sympy expression (protected operators shown plainly: display only).

        Parameters
        ----------
        index, front : optional
            A member instead of the chosen formula (see `member`).
        """
        return to_sympy(self.member(index, front)[1], nonnegative=self.transform == "rank")

    def to_callable(self, index: int | None = None, front: str | None = None):
        """A `zcgp.Proxy` computing the formula exactly as the engine (and the exported proxy.py).

        Parameters
        ----------
        index, front : optional
            A member instead of the chosen formula (see `member`).
        """
        return Proxy(self, index=index, front=front)

    # ---- tables --------------------------------------------------------------------------
    @property
    def hall_of_fame(self):
        return as_table([dict(e) for e in self.result["hall_of_fame"]])

    @property
    def pareto(self):
        """Both Pareto fronts: (fitness, size) and (fitness, proxy cost); column `front`."""
        return as_table([{"front": f, **e} for f in ("size", "cost") for e in self.result.get(f"pareto_{f}", [])])

    @property
    def scores(self):
        """Per task: the formula's train and test score beside every hand-crafted proxy (test split)
        and the baselines, in the run's metric (`score_table(metric)` for another)."""
        return self.score_table(self.metric)

    def score_table(self, metric: str):
        """Like `scores`, in another metric the run was scored in.

        Parameters
        ----------
        metric : str
            "kendall", "spearman" or the run's fitness metric.
        """
        return as_table(score_records(self.result["tasks"], metric))

    @property
    def summary(self) -> dict:
        return self.result["summary"][self.metric]

    # ---- files ---------------------------------------------------------------------------
    def export(self, path, index: int | None = None, front: str | None = None) -> Path:
        """Write a standalone proxy.py (numpy only) and its JSON description beside it.

        Parameters
        ----------
        path : path
            The proxy.py to write (proxy.json goes beside it).
        index, front : optional
            A member instead of the chosen formula (see `member`).

        Returns
        -------
        Path
            The proxy.py written.

        Raises
        ------
        ZcgpError
            A degenerate formula (constant, non-finite).
        """
        entry, tree = self.member(index, front)
        check_formula(tree, transform=self.transform)
        cfg = self.config
        which = "best" if index is None and front is None else (f"pareto_{front}" if front else "hof")
        info = {"train_fitness": entry.get("fitness"), "metric": cfg["metric"], "tasks": cfg["train_tasks"],
                "seed": self.result["seed"], "train_fraction": cfg["train_fraction"], "source": which,
                "index": index, "size": entry["size"], "cost_s": entry.get("cost_s"), "labels": self.labels,
                **cost_info(entry, self.result)}
        return write_proxy(path, tree, self.terminals, self.transform, simplified(tree, self.transform),
                           info, self.missing)

    def save(self, directory, plots: bool = True) -> list[Path]:
        """Write the run directory (result.json, proxy.py, CSVs, plots).

        Parameters
        ----------
        directory : path
        plots : bool
            Write the PNG plots (with matplotlib).

        Returns
        -------
        list of Path
            The files written.
        """
        _, tree = self.member()
        written = write_run(Path(directory), self.result, self.logbook, tree, self.terminals,
                            self.transform, plots=plots)
        self.directory = Path(directory)
        return written


def _parse(text: str):
    try:
        number = float(text)
    except (TypeError, ValueError):
        return text
    return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number

