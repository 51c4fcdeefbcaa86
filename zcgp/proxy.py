"""`zcgp.Proxy`: an evolved (or hand-written) formula as a callable scorer.

Built from a formula string, a `Run`, a run directory or an exported proxy.py / proxy.json
(always read as data: the formula string goes through the safe parser of `gp.formula`;
proxy.py is never imported, its JSON description beside it is read). Calling it on
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

from zcgp.fitness.errors import ZcgpError
from zcgp.fitness.tasks import PROXY_ORDER
from zcgp.fitness.transforms import DEFAULT_TRANSFORM, TRANSFORMS, apply_transform
from zcgp.gp.export import used_terminals
from zcgp.gp.formula import formula_names, infix, parse_formula
from zcgp.gp.hygiene import check_formula
from zcgp.gp.primitives import make_pset, parse_tree, run_code, to_code
from zcgp.gp.simplify import to_sympy


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


class Proxy:
    """A formula over proxy names; `proxy(x)` -> one float per architecture, higher = better."""

    def __init__(self, source, *, transform: str | None = None, missing: str | None = None,
                 index: int | None = None, front: str | None = None):
        from zcgp.run import Run

        if isinstance(source, Proxy):
            self.__dict__.update(source.__dict__)
            return
        if isinstance(source, Path) or (isinstance(source, str) and _is_path(source)):
            path = Path(source)
            if path.suffix in (".py", ".json"):
                description = path.with_suffix(".json")
                if not description.is_file():
                    raise ZcgpError(f"no proxy description {description} (write it with `zcgp export`)")
                data = _read_json(description)
                terminals = tuple(data["terminals"])
                tree = parse_tree(data["formula"], make_pset(terminals or ("x",)))
                self._setup(tree, terminals, transform or data["transform"],
                            missing or ("impute" if data.get("missing") == "impute" else "exclude"))
                self.info = {k: data.get(k) for k in ("seed", "train_fraction")}
                return
            source = Run.load(path)
        if isinstance(source, Run):
            _, tree = source.member(index, front)
            self._setup(tree, source.terminals, transform or source.transform,
                        missing or ("impute" if source.missing == "impute" else "exclude"))
            self.info = {"seed": source.result.get("seed"), "train_fraction": source.config.get("train_fraction")}
            return
        if not isinstance(source, str):
            raise ZcgpError(f"cannot make a proxy from {type(source).__name__}; give a formula, a Run or a run "
                            f"directory")
        terminals = _order(formula_names(source))
        tree = parse_formula(source, make_pset(terminals or ("x",)))
        self._setup(tree, terminals, transform or DEFAULT_TRANSFORM, missing or "exclude")
        self.info = {}

    def _setup(self, tree, terminals, transform: str, missing: str) -> None:
        if transform not in TRANSFORMS:
            raise ZcgpError(f"unknown transform '{transform}'; choose from {', '.join(TRANSFORMS)}")
        if missing not in ("impute", "exclude"):
            raise ZcgpError(f"unknown missing mode '{missing}'; choose from impute, exclude")
        check_formula(tree, transform=transform)
        self.tree = tree
        self.code = to_code(tree)
        self.TERMINALS = used_terminals(tree, terminals)
        self.TRANSFORM = transform
        self.MISSING = missing
        self.FORMULA = str(tree)

    # ---- description -----------------------------------------------------------------------
    @property
    def formula(self) -> str:
        return infix(self.tree)

    @property
    def terminals(self) -> tuple[str, ...]:
        return self.TERMINALS

    def sympy(self):
        return to_sympy(self.tree, nonnegative=self.TRANSFORM == "rank")

    def __repr__(self) -> str:
        return f"Proxy({self.formula!r}, transform={self.TRANSFORM!r}, missing={self.MISSING!r})"

    # ---- scoring ------------------------------------------------------------------------------
    def proxy(self, scores) -> np.ndarray:
        """{proxy name: array of raw values} (or a DataFrame) -> float array over the rows."""
        if hasattr(scores, "columns") and hasattr(scores, "to_numpy"):        # a DataFrame
            scores = {str(c): scores[c].to_numpy(dtype=float) for c in scores.columns}
        if not isinstance(scores, Mapping):
            raise ZcgpError(f"proxy scores must be a dict of arrays or a DataFrame, not {type(scores).__name__}")
        lacking = [t for t in self.TERMINALS if t not in scores]
        if lacking and self.MISSING != "impute":
            raise ZcgpError(f"missing proxy scores: {', '.join(lacking)} (formula {self.formula})")
        columns = [np.asarray(scores[t], dtype=float) if t in scores else np.zeros(()) for t in self.TERMINALS]
        lengths = {c.size for c in columns if c.ndim > 0} or \
            {np.asarray(v).size for v in scores.values() if np.ndim(v) > 0}
        if len(lengths) > 1:
            raise ZcgpError(f"proxy score arrays differ in length: {sorted(lengths)}")
        n = lengths.pop() if lengths else 1
        table = np.empty((n, len(self.TERMINALS)))
        for j, column in enumerate(columns):
            table[:, j] = column.reshape(-1) if column.ndim > 0 else column
        values = apply_transform(table, self.TRANSFORM)
        x = {t: np.ascontiguousarray(values[:, j]) for j, t in enumerate(self.TERMINALS)}
        with np.errstate(all="ignore"):
            out = np.asarray(run_code(self.code, x), dtype=float)
        return np.broadcast_to(out, (n,)).copy()

    def compute(self, networks, inputs=None, targets=None, *, num_classes: int = 10, resolution: int = 32,
                data: str = "synthetic", batch_size: int = 32, seed: int = 0, device="auto",
                progress: bool = False) -> dict[str, np.ndarray]:
        """Raw values of the formula's terminals for torch networks (one minibatch: `inputs` and
        `targets`, or a seeded batch from `data`)."""
        from zcgp.proxies.compute import compute_proxies, resolve_device
        from zcgp.proxies.data import load_batch
        from zcgp.proxies.registry import PROXY_NAMES

        unknown = [t for t in self.TERMINALS if t not in PROXY_NAMES]
        if unknown:
            raise ZcgpError(f"the proxy module cannot compute {', '.join(unknown)}; known: {', '.join(PROXY_NAMES)}")
        if inputs is None:
            inputs, targets = load_batch(data, batch_size, num_classes, resolution, seed)
        result = compute_proxies(list(networks), inputs, targets, names=self.TERMINALS or ("params",),
                                 device=resolve_device(device), seed=seed, progress=progress)
        return {t: np.asarray(result[t], dtype=float) for t in self.TERMINALS}

    def __call__(self, x, **options) -> np.ndarray:
        """Scores of a dict of arrays / DataFrame, an (n, len(terminals)) array with the columns in
        `terminals` order, or a list of torch networks (see `compute`)."""
        if isinstance(x, np.ndarray):
            if x.ndim != 2 or x.shape[1] != len(self.TERMINALS):
                raise ZcgpError(f"an array needs shape (n, {len(self.TERMINALS)}): one column per terminal "
                                f"({', '.join(self.TERMINALS)}), got {x.shape}")
            return self.proxy({t: x[:, j] for j, t in enumerate(self.TERMINALS)})
        if isinstance(x, Mapping) or (hasattr(x, "columns") and hasattr(x, "to_numpy")):
            if options:
                raise ZcgpError(f"options {', '.join(options)} apply to networks only")
            return self.proxy(x)
        networks = [x] if hasattr(x, "parameters") and callable(x) else list(x)
        return self.proxy(self.compute(networks, **options))
