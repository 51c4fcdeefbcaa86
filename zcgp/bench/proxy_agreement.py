"""Agreement of freshly computed proxies with a NAS-Bench-Suite-Zero table (any space).

`proxy_agreement` builds `archs` table architectures of a task (a seeded sample of rows),
computes the requested proxies with the batched module on one synthetic minibatch of the
task's input shape (or a smaller `resolution`), and returns, per proxy, the Spearman
correlation with the table's values and with the table's accuracy, plus CPU seconds per
network. `exact_params` checks a space's closed-form parameter count on every row.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import stats

from zcgp.nas.objectives import table_task
from zcgp.proxies.measure import MeasureSettings, measure_networks


@dataclass
class Agreement:
    """What `proxy_agreement` measured on one task.

    Parameters
    ----------
    task : str
        The table task's id.
    rows : list of dict
        Per proxy: name, n (networks where both values are finite), spearman_table,
        spearman_accuracy, median_ours, median_table.
    networks : int
        Networks measured.
    cpu_seconds_per_network : float
        CPU seconds of measuring, per network.
    failures : int
        Failed (network, proxy) measurements.
    batch_size : int
        Minibatch size used.
    resolution : int
        Input resolution used.
    values : dict, optional
        name -> the values computed here, one per network.
    accuracy : numpy.ndarray, optional
        The table's accuracy of each network.
    """

    task: str
    rows: list[dict]                 # per proxy: name, n, spearman_table, spearman_accuracy, medians
    networks: int
    cpu_seconds_per_network: float
    failures: int
    batch_size: int
    resolution: int
    values: dict | None = None       # name -> the values computed here, one per network
    accuracy: np.ndarray | None = None


def formula_accuracy(found: Agreement, formula) -> float:
    """Spearman of an evolved formula (a `zcgp.Proxy` over proxies of `found`) with the accuracy,
    computed from the values `proxy_agreement` measured (the networks are the reference).

    Parameters
    ----------
    found : Agreement
        A `proxy_agreement` result, with its values and accuracy.
    formula : zcgp.Proxy
        The formula; its terminals must be among `found.values`.

    Returns
    -------
    float
        Spearman correlation over the networks where the formula is finite; NaN with fewer
        than three.
    """
    values = {t: found.values[t] for t in formula.terminals}
    scores = np.broadcast_to(np.asarray(formula.score(values), dtype=float), found.accuracy.shape)
    ok = np.isfinite(scores)
    return float(stats.spearmanr(scores[ok], found.accuracy[ok]).statistic) if ok.sum() > 2 else float("nan")


def exact_params(space, task: str, data_dir=None) -> tuple[int, float] | None:
    """(rows, max relative difference) of `space.param_count` vs the table's params, or None
    when the space has no closed-form count.

    Parameters
    ----------
    space : SearchSpace
        The space checked.
    task : str
        The space's task.
    data_dir : path, optional
        Another directory of the shipped files.

    Returns
    -------
    tuple of (int, float) or None
        The table's rows and the largest relative difference in millions of parameters; None
        without `space.param_count`.
    """
    count = getattr(space, "param_count", None)
    if count is None:
        return None
    table = table_task(space, task, data_dir)
    classes = space.tasks[task][0]
    ours = np.array([count(a, classes) / 1e6 for a in table.archs])
    theirs = table.column("params")
    return table.n, float(np.max(np.abs(ours - theirs) / np.abs(theirs)))


def proxy_agreement(space, task: str, names, *, archs: int = 50, batch_size: int = 32, resolution: int | None = None,
                    seed: int = 0, device: str = "cpu", data_dir=None, progress: bool = False) -> Agreement:
    """Compute proxies on sampled table architectures of a task and correlate them with the table.

    Parameters
    ----------
    space : SearchSpace
        The space whose table is read.
    task : str
        The space's task.
    names : sequence of str
        The proxies computed.
    archs : int
        Table rows sampled (at most the table's size).
    batch_size : int
        Size of the one synthetic minibatch.
    resolution : int, optional
        Input resolution; the task's own by default.
    seed : int
        Seed of the row sample and of the measurement.
    device : str
        Torch device of the measurement.
    data_dir : path, optional
        Another directory of the shipped files.
    progress : bool
        Show a progress bar.

    Returns
    -------
    Agreement
        Per proxy the Spearman with the table's values and accuracy, the CPU seconds per
        network, and the values computed.
    """
    table = table_task(space, task, data_dir)
    classes, native = space.tasks[task]
    resolution = resolution or native
    rows_idx = np.sort(np.random.default_rng(seed).choice(table.n, size=min(archs, table.n), replace=False))
    picked = [table.archs[i] for i in rows_idx]
    settings = MeasureSettings(batch_size=batch_size, inits=1, seed=seed, device=device, threads=None)
    start = time.process_time()
    result = measure_networks(space, picked, names, classes, resolution, settings, progress=progress)
    cpu = (time.process_time() - start) / max(len(picked), 1)
    rows = []
    for name in names:
        ours = result[name]
        theirs = table.column(name)[rows_idx] if name in table.proxies else np.full(len(picked), np.nan)
        ok = np.isfinite(ours) & np.isfinite(theirs)
        rho = stats.spearmanr(ours[ok], theirs[ok]).statistic if ok.sum() > 2 else float("nan")
        acc_ok = np.isfinite(ours)
        acc = (stats.spearmanr(ours[acc_ok], table.target[rows_idx][acc_ok]).statistic
               if acc_ok.sum() > 2 else float("nan"))
        rows.append({"name": name, "n": int(ok.sum()), "spearman_table": float(rho), "spearman_accuracy": float(acc),
                     "median_ours": float(np.nanmedian(ours)) if acc_ok.any() else float("nan"),
                     "median_table": float(np.nanmedian(theirs)) if np.isfinite(theirs).any() else float("nan")})
    return Agreement(task=table.id, rows=rows, networks=len(picked), cpu_seconds_per_network=cpu,
                     failures=len(result.failures), batch_size=batch_size, resolution=resolution,
                     values={n: result[n] for n in names}, accuracy=np.asarray(table.target[rows_idx], dtype=float))
