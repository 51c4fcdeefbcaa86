"""Search objectives: an evolved formula, one hand-crafted proxy, or random.

An objective maps a list of architectures to one score each (higher is better). Raw proxy
values come from a measure (`zcgp.proxies.measure`): torch networks on a minibatch, or a
task table. A formula sees its terminals transformed against a fixed reference sample of
random architectures, so the objective does not drift during the search. The reference is
the search's own initial population (scored once, counted as search evaluations), and its
raw values are cached on disk (`reference_cache_dir()`), so a second search with the same
settings pays nothing for it.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from zcgp import __version__
from zcgp.fitness.errors import ZcgpError
from zcgp.fitness.io import atomic_write_json
from zcgp.proxies.measure import SharedMeasure, TableMeasure, TorchMeasure
from zcgp.proxies.registry import PROXY_NAMES

ENV_CACHE_DIR = "ZCGP_CACHE_DIR"


def load_formula(source):
    """A `zcgp.Proxy` from a run directory, proxy.json/proxy.py (read as data) or a formula,
    checked to use only terminals the torch module computes."""
    from zcgp.proxy import Proxy

    formula = source if isinstance(source, Proxy) else Proxy(source)
    unknown = [t for t in formula.TERMINALS if t not in PROXY_NAMES]
    if unknown:
        raise ZcgpError(f"formula {formula.formula} uses terminals the proxy module cannot compute: "
                        f"{', '.join(unknown)}; known: {', '.join(PROXY_NAMES)}")
    return formula


# ----------------------------------------------------------------------------- measures

class TableSpace:
    """A space restricted to the architectures a table covers (for `--proxy-source table`)."""

    def __init__(self, space, archs: Sequence):
        self.base = space
        self.members = [space.normalize(a) for a in archs]
        self.member_set = set(self.members)

    def sample(self, rng):
        return self.members[int(rng.integers(len(self.members)))]

    def mutate(self, arch, rng):
        for _ in range(32):                      # a random one-edge neighbour inside the table
            child = self.base.mutate(arch, rng)
            if child in self.member_set:
                return child
        return self.sample(rng)

    def sample_distinct(self, n: int, rng) -> list:
        picked, keys = [], set()
        for i in rng.permutation(len(self.members)):
            key = self.base.key(self.members[i])
            if key not in keys:
                keys.add(key)
                picked.append(self.members[i])
                if len(picked) == n:
                    break
        return picked

    def __getattr__(self, name):
        return getattr(self.base, name)


def make_measure(source: str, space, names: Sequence[str], dataset: str, *, data: str | None = "synthetic",
                 batch_size: int = 32, device: str = "auto", seed: int = 0, threads: int | None = 1,
                 workers: int = 1, data_dir=None):
    """(SharedMeasure, the space to search): proxies computed by torch, or read from the task
    table (then only the table's architectures are reachable)."""
    if source == "table":
        from zcgp.fitness.tasks import load_tasks

        task = load_tasks(f"{space.name}/{dataset}", data_dir)[0]
        return SharedMeasure(TableMeasure(task, space, names), space), TableSpace(space, task.archs)
    if source != "torch":
        raise ZcgpError(f"unknown proxy source '{source}'; choose torch or table")
    num_classes, resolution = space.tasks[dataset]
    measure = TorchMeasure(space, names, num_classes, data, resolution, batch_size, device, seed, threads, workers)
    return SharedMeasure(measure, space), space


# ----------------------------------------------------------------------------- reference cache

def reference_cache_dir() -> Path:
    """$ZCGP_CACHE_DIR, else $XDG_CACHE_HOME/zcgp, else ~/.cache/zcgp."""
    if os.environ.get(ENV_CACHE_DIR):
        return Path(os.environ[ENV_CACHE_DIR])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "zcgp"


def _cache_file(measure: SharedMeasure, names, archs) -> Path | None:
    fields = getattr(measure.measure, "key_fields", None)
    if fields is None:                            # table values cost nothing: no cache
        return None
    keys = sorted(measure.space.key(a) for a in archs)
    blob = json.dumps({**fields, "names": sorted(names), "archs": keys, "version": __version__}, sort_keys=True)
    return reference_cache_dir() / f"reference-{hashlib.sha256(blob.encode()).hexdigest()[:20]}.json"


def measure_reference(measure: SharedMeasure, archs: Sequence, names: Sequence[str]) -> tuple[dict, bool]:
    """Raw values of the reference architectures ({name: array}) and whether they came from the
    disk cache; computed values are written there (a cache that cannot be read or written is
    ignored)."""
    path = _cache_file(measure, names, archs)
    if path is not None and path.is_file():
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            for arch in archs:
                key = measure.space.key(arch)
                measure.cache.setdefault(key, {}).update(
                    {n: (np.nan if stored[key][n] is None else float(stored[key][n])) for n in names})
            return measure(list(archs), names), True
        except (OSError, ValueError, KeyError, TypeError):
            pass
    values = measure(list(archs), names)
    if path is not None:
        try:
            atomic_write_json(path, {measure.space.key(a): {n: float(values[n][i]) for n in names}
                                     for i, a in enumerate(archs)})
        except OSError:
            pass
    return values, False


# ----------------------------------------------------------------------------- objectives

class FormulaObjective:
    """A formula (`zcgp.Proxy`), each architecture's terminals transformed against a fixed reference.

    Formulas with min/max often put many networks on one plateau. Exact ties are broken by the
    mean rank of the formula's own terminals within the reference, added at a 1e-9 relative
    scale, so a plateau is ordered by the consensus of its proxies instead of by arrival order.
    """

    TIE_SCALE = 1e-9

    def __init__(self, formula, measure, reference_values: dict):
        self.formula, self.measure = formula, measure
        names = formula.TERMINALS
        usable = np.all([np.isfinite(reference_values[t]) for t in names], axis=0) if names else None
        if names and usable.sum() < 2:
            raise ZcgpError("fewer than 2 reference architectures have finite proxy values")
        self.reference = {t: np.sort(reference_values[t][usable]) for t in names}

    def _consensus(self, raw: dict, i: int) -> float:
        """Mean over terminals of the candidate's rank in [0, 1] among the reference values."""
        ranks = []
        for t in self.formula.TERMINALS:
            ref = self.reference[t]
            below = np.searchsorted(ref, raw[t][i], "left")
            upto = np.searchsorted(ref, raw[t][i], "right")
            ranks.append((below + upto) / (2.0 * ref.size))
        return float(np.mean(ranks)) if ranks else 0.0

    def __call__(self, archs: Sequence) -> np.ndarray:
        raw = self.measure(list(archs), self.formula.TERMINALS)
        out = np.empty(len(archs))
        for i in range(len(archs)):
            scores = {t: np.append(self.reference[t], raw[t][i]) for t in self.formula.TERMINALS}
            if not all(np.isfinite(v[-1]) for v in scores.values()):
                out[i] = -np.inf
                continue
            value = float(np.asarray(self.formula.proxy(scores), dtype=float)[-1])
            out[i] = value + self.TIE_SCALE * max(1.0, abs(value)) * self._consensus(raw, i)
        return out


class ProxyObjective:
    """One hand-crafted proxy as it is (higher is better)."""

    def __init__(self, name: str, measure):
        self.name, self.measure = name, measure

    def __call__(self, archs: Sequence) -> np.ndarray:
        return self.measure(list(archs), (self.name,))[self.name]


class RandomObjective:
    """Random search: a seeded pseudo-random score per architecture key."""

    def __init__(self, space, seed: int):
        self.space, self.seed = space, seed

    def __call__(self, archs: Sequence) -> np.ndarray:
        return np.array([np.random.default_rng([self.seed, zlib.crc32(self.space.key(a).encode())]).random()
                         for a in archs])
