"""`zcgp.Proxy`: an evolved (or hand-written) formula as a callable scorer.

Built from a formula string, a `Run`, a run directory or an exported proxy.py / proxy.json,
always read as data: formula strings go through the safe parser of `gp.formula`; proxy.py
is never imported (the JSON description beside it is read). Calling it on
  * a dict of arrays or a DataFrame with proxy columns: the formula's value per row,
    exactly as the engine and the exported proxy.py compute it (transform per column
    within the rows passed in; an absent terminal under missing "impute" is the neutral
    constant, else a one-line error);
  * a list of torch networks: their proxies are computed with the batched module
    (`zcgp.proxies.compute_proxies`, torch imported only then) on one minibatch first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from zcgp.errors import ZcgpError
from zcgp.fitness.tasks import PROXY_ORDER
from zcgp.fitness.transforms import DEFAULT_TRANSFORM, TRANSFORMS, apply_transform
from zcgp.gp.dataset import MISSING_MODES
from zcgp.gp.export import used_terminals
from zcgp.gp.formula import formula_names, infix, parse_formula
from zcgp.gp.hygiene import check_formula
from zcgp.gp.primitives import make_pset, parse_tree, run_code, to_code
from zcgp.gp.results import load_result, result_member
from zcgp.gp.simplify import to_sympy
from zcgp.nas.shipped import SHIPPED_NAMES, read_shipped
from zcgp.proxies.measure import MeasureSettings
from zcgp.proxies.registry import PROXY_NAMES

__all__ = ["Proxy", "adapted_dir"]


def _order(names) -> tuple[str, ...]:
    names = set(names)
    return tuple(p for p in PROXY_ORDER if p in names) + tuple(sorted(names - set(PROXY_ORDER)))


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["formula"], data["terminals"], data["transform"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ZcgpError(f"{path} is not a readable zcgp proxy description ({type(exc).__name__})") from None
    return data


def _is_path(text: str) -> bool:
    if text.endswith((".py", ".json")):
        return True
    try:
        return Path(text).exists()
    except (OSError, ValueError):          # a formula too long for a file name, or with a NUL
        return False


def _member(result: dict, index, front):
    """(tree, entry) of a run's chosen formula (index None), or of a hall-of-fame / Pareto member."""
    if index is None and front is None:
        best = result["best"]
        return parse_tree(best["formula"], make_pset(tuple(result["config"]["terminals"]))), best
    entry, tree, _ = result_member(result, index or 0, front)
    return tree, entry


def adapted_dir(path: Path) -> bool:
    """Whether `path` is a directory holding a proxy.json and no result.json: what `zcgp adapt
    --out DIR` writes (a run directory holds a result.json).

    Parameters
    ----------
    path : Path

    Returns
    -------
    bool
    """
    return path.is_dir() and not (path / "result.json").exists() and (path / "proxy.json").is_file()


class Proxy:
    """A formula over proxy names; calling it gives one float per architecture, higher = better.

    Parameters
    ----------
    source : str, Path, Run or Proxy
        A formula ("nwot + log(synflow)"), a shipped suite proxy ("suite",
        "suite-without-nb201", ...: `zcgp.nas.shipped.SHIPPED_NAMES`), a run directory, its
        result.json, an exported proxy.py / proxy.json, a directory holding a proxy.json and
        no result.json (what `zcgp adapt --out DIR` writes), a `zcgp.Run` (anything with a
        `result` dict) or a Proxy.
    transform : str, optional
        Input transform of every terminal (`fitness.transforms.TRANSFORMS`); default: the
        source's, else "rank".
    missing : str, optional
        A terminal absent from the values scored: "impute" gives it the transform's neutral
        value, any other mode of `gp.dataset.MISSING_MODES` is an error; default: the source's,
        else "exclude".
    index : int, optional
        A hall-of-fame member of a run (with `front`: a member of that Pareto front).
    front : str, optional
        "size" or "cost": the Pareto front `index` refers to.

    Attributes
    ----------
    formula : str
        Infix form, parseable again.
    terminals : tuple of str
        The proxies the formula uses, in the canonical order.
    transform, missing : str
    tree : deap.gp.PrimitiveTree
    info : dict
        Provenance of the source (seed, train fraction, tasks and label counts when known).

    Raises
    ------
    ZcgpError
        A missing or unreadable file, a malformed or degenerate formula, an unknown option.

    Examples
    --------
    >>> import numpy as np, zcgp
    >>> p = zcgp.Proxy("nwot + synflow")
    >>> p.terminals
    ('synflow', 'nwot')
    >>> p({"nwot": np.array([1.0, 3.0, 2.0]), "synflow": np.array([3.0, 2.0, 1.0])})
    array([1. , 1.5, 0.5])
    """

    def __init__(self, source, *, transform: str | None = None, missing: str | None = None,
                 index: int | None = None, front: str | None = None):
        if isinstance(source, Proxy):
            self.__dict__.update(source.__dict__)
            return
        if isinstance(source, str) and source in SHIPPED_NAMES:
            self._from_description(read_shipped(source), transform, missing)
            self.info = {"name": source, **self.info.pop("provenance", {})}
            return
        if isinstance(source, Path) or (isinstance(source, str) and _is_path(source)):
            path = Path(source)
            if adapted_dir(path):
                path = path / "proxy.json"
            if path.suffix in (".py", ".json") and path.name != "result.json":
                description = path.with_suffix(".json")
                if not description.is_file():
                    raise ZcgpError(f"no proxy description {description} (write it with `zcgp export`)")
                self._from_description(_read_json(description), transform, missing)
                return
            source = load_result(path)
        result = source if isinstance(source, dict) else getattr(source, "result", None)
        if isinstance(result, dict):
            tree, _ = _member(result, index, front)
            config = result["config"]
            self._setup(tree, tuple(config["terminals"]), transform or config["transform"],
                        missing or config.get("missing", "exclude"))
            data = {"data": config["data"], "data_columns": config.get("data_columns")} \
                if config.get("data") is not None else {}            # a user's table: where its rows are
            self.info = {"seed": result.get("seed"), "train_fraction": config.get("train_fraction"),
                         **{k: result[k] for k in ("labels",) if k in result}, **data}
            return
        if not isinstance(source, str):
            raise ZcgpError(f"cannot make a proxy from {type(source).__name__}; give a formula, a Run or a run "
                            f"directory")
        terminals = _order(formula_names(source))
        tree = parse_formula(source, make_pset(terminals or ("x",)))
        self._setup(tree, terminals, transform or DEFAULT_TRANSFORM, missing or "exclude")
        self.info = {}

    def _from_description(self, data: dict, transform, missing) -> None:
        """From a proxy.json-like description (an export or a shipped suite proxy)."""
        terminals = tuple(data["terminals"])
        tree = parse_tree(data["formula"], make_pset(terminals or ("x",)))
        self._setup(tree, terminals, transform or data["transform"], missing or data.get("missing", "exclude"))
        self.info = {k: v for k, v in data.items() if k not in ("formula", "terminals", "transform")}

    def _setup(self, tree, terminals, transform: str, missing: str) -> None:
        if transform not in TRANSFORMS:
            raise ZcgpError(f"unknown transform '{transform}'; choose from {', '.join(TRANSFORMS)}")
        if missing not in MISSING_MODES:
            raise ZcgpError(f"unknown missing mode '{missing}'; choose from {', '.join(MISSING_MODES)}")
        check_formula(tree, transform=transform)
        self.tree = tree
        self.code = to_code(tree)
        self.terminals = used_terminals(tree, terminals)
        self.transform = transform
        self.missing = missing

    # ---- description -----------------------------------------------------------------------
    @property
    def formula(self) -> str:
        """The formula, infix."""
        return infix(self.tree)

    def sympy(self):
        """The formula as a sympy expression (protected operators shown plainly: display only)."""
        return to_sympy(self.tree, nonnegative=self.transform == "rank")

    def __repr__(self) -> str:
        return f"Proxy({self.formula!r}, transform={self.transform!r}, missing={self.missing!r})"

    # ---- scoring ------------------------------------------------------------------------------
    def score(self, values) -> np.ndarray:
        """The formula's value per row of raw proxy values.

        Parameters
        ----------
        values : dict of array or DataFrame
            {proxy name: raw values}, one entry per architecture.

        Returns
        -------
        numpy.ndarray
            One float per row (higher = predicted better).
        """
        if hasattr(values, "columns") and hasattr(values, "to_numpy"):        # a DataFrame
            values = {str(c): values[c].to_numpy(dtype=float) for c in values.columns}
        if not isinstance(values, Mapping):
            raise ZcgpError(f"proxy scores must be a dict of arrays or a DataFrame, not {type(values).__name__}")
        lacking = [t for t in self.terminals if t not in values]
        if lacking and self.missing != "impute":
            raise ZcgpError(f"missing proxy scores: {', '.join(lacking)} (formula {self.formula})")
        columns = [np.asarray(values[t], dtype=float) if t in values else np.zeros(()) for t in self.terminals]
        lengths = {c.size for c in columns if c.ndim > 0} or \
            {np.asarray(v).size for v in values.values() if np.ndim(v) > 0}
        if len(lengths) > 1:
            raise ZcgpError(f"proxy score arrays differ in length: {sorted(lengths)}")
        n = lengths.pop() if lengths else 1
        table = np.empty((n, len(self.terminals)))
        for j, column in enumerate(columns):
            table[:, j] = column.reshape(-1) if column.ndim > 0 else column
        transformed = apply_transform(table, self.transform)
        x = {t: np.ascontiguousarray(transformed[:, j]) for j, t in enumerate(self.terminals)}
        with np.errstate(all="ignore"):
            out = np.asarray(run_code(self.code, x), dtype=float)
        return np.broadcast_to(out, (n,)).copy()

    def on_task(self, task, rows=None) -> np.ndarray:
        """The formula's value on rows of a table task.

        Parameters
        ----------
        task : Task
            A task with proxy columns (`zcgp.load_tasks`); a terminal it lacks is left out, so the
            formula imputes it or raises, as its `missing` says (`score`).
        rows : array of int, optional
            The rows scored (default: all of them).

        Returns
        -------
        numpy.ndarray
            One float per row.
        """
        rows = np.arange(task.n) if rows is None else np.asarray(rows)
        values = {t: task.column(t)[rows] for t in self.terminals if t in task.proxies}
        return np.broadcast_to(self.score(values), (rows.size,))

    def compute(self, networks, inputs=None, targets=None, *, num_classes: int = 10, resolution: int = 32,
                data: str = MeasureSettings.data, batch_size: int = MeasureSettings.batch_size, seed: int = 0,
                device="auto", progress: bool = False) -> dict[str, np.ndarray]:
        """Raw values of the formula's terminals for torch networks.

        Parameters
        ----------
        networks : iterable of torch.nn.Module
        inputs, targets : torch.Tensor, optional
            The minibatch; default: a seeded batch from `data`.
        num_classes, resolution, data, batch_size, seed :
            Shape and source of the default batch (`proxies.data.load_batch`); `seed` also
            seeds the passes.
        device : str
            "auto", "cpu", "cuda" or "cuda:N".
        progress : bool
            Show a progress bar.

        Returns
        -------
        dict of numpy.ndarray
            {terminal: one value per network}, NaN where a proxy failed.
        """
        from zcgp.proxies.compute import compute_proxies, resolve_device
        from zcgp.proxies.data import load_batch

        unknown = [t for t in self.terminals if t not in PROXY_NAMES]
        if unknown:
            raise ZcgpError(f"the proxy module cannot compute {', '.join(unknown)}; known: {', '.join(PROXY_NAMES)}")
        if inputs is None:
            inputs, targets = load_batch(data, batch_size, num_classes, resolution, seed)
        result = compute_proxies(list(networks), inputs, targets, names=self.terminals or ("params",),
                                 device=resolve_device(device), seed=seed, progress=progress)
        return {t: np.asarray(result[t], dtype=float) for t in self.terminals}

    def __call__(self, x, **options) -> np.ndarray:
        """Scores of a dict of arrays / DataFrame, an (n, len(terminals)) array with the columns in
        `terminals` order, or a list of torch networks (`options` go to `compute`)."""
        if isinstance(x, np.ndarray):
            if x.ndim != 2 or x.shape[1] != len(self.terminals):
                raise ZcgpError(f"an array needs shape (n, {len(self.terminals)}): one column per terminal "
                                f"({', '.join(self.terminals)}), got {x.shape}")
            return self.score({t: x[:, j] for j, t in enumerate(self.terminals)})
        if isinstance(x, Mapping) or (hasattr(x, "columns") and hasattr(x, "to_numpy")):
            if options:
                raise ZcgpError(f"options {', '.join(options)} apply to networks only")
            return self.score(x)
        networks = [x] if hasattr(x, "parameters") and callable(x) else list(x)
        return self.score(self.compute(networks, **options))
