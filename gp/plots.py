"""PNG plots of a run (matplotlib, Agg backend, imported lazily; optional)."""

from __future__ import annotations

from pathlib import Path

from zcgp.util import finish, pyplot

__all__ = ["fitness_plot", "task_plot"]


def fitness_plot(logbook: list[dict], path, metric: str = "kendall") -> Path | None:
    """Best, median and mean population fitness per generation, as a PNG.

    Parameters
    ----------
    logbook : list of dict
        The engine's logbook rows ("gen", "best", "median", "mean").
    path : str or path
        The PNG file to write.
    metric : str, default "kendall"
        The fitness metric, for the axis label.

    Returns
    -------
    pathlib.Path or None
        The file written; None when matplotlib is not installed or the logbook is empty.
    """
    plt = pyplot()
    if plt is None or not logbook:
        return None
    gens = [r["gen"] for r in logbook]
    fig, ax = plt.subplots(figsize=(7, 4))
    for key, style in (("best", "-"), ("median", "--"), ("mean", ":")):
        ax.plot(gens, [r[key] for r in logbook], style, label=key)
    ax.set_xlabel("generation")
    ax.set_ylabel(f"train fitness (mean {metric} over tasks)")
    ax.grid(alpha=0.3)
    ax.legend()
    return finish(fig, path)


def task_plot(rows: list[dict], path, metric: str = "kendall") -> Path | None:
    """Per-task test correlation, as a PNG: evolved vs best hand-crafted proxy vs linear baseline.

    Parameters
    ----------
    rows : list of dict
        Rows of `gp.report.formula_rows`.
    path : str or path
        The PNG file to write.
    metric : str, default "kendall"
        The metric plotted.

    Returns
    -------
    pathlib.Path or None
        The file written; None when matplotlib is not installed or there are no rows.
    """
    plt = pyplot()
    if plt is None or not rows:
        return None
    import numpy as np

    def value(r, *keys):
        node = r
        for k in keys:
            node = node.get(k) if isinstance(node, dict) else None
        return np.nan if node is None else node

    names = [r["task"] for r in rows]
    series = {
        "evolved": [value(r, "evolved", "test", metric) for r in rows],
        "best hand-crafted": [value(r, "best_proxy", "test", metric) for r in rows],
        "linear-rank": [value(r, "linear_rank", "test", metric) for r in rows],
    }
    x = np.arange(len(rows))
    width = 0.27
    fig, ax = plt.subplots(figsize=(max(7, 0.55 * len(rows) + 2), 4.5))
    for i, (label, vals) in enumerate(series.items()):
        ax.bar(x + (i - 1) * width, vals, width, label=label)
    ax.set_xticks(x)
    ax.set_xticklabels(names, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel(f"test {metric}")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    return finish(fig, path)
