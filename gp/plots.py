"""PNG plots of a run (matplotlib, Agg backend, imported lazily; optional)."""

from __future__ import annotations

from pathlib import Path


def pyplot():
    """matplotlib.pyplot on the Agg backend, or None without matplotlib."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def save_figure(fig, path: Path) -> Path:
    """The figure as PNG, written atomically."""
    import io

    from zcgp.fitness.io import atomic_write_bytes
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    atomic_write_bytes(path, buffer.getvalue())
    return path


def finish(fig, path) -> Path:
    """Lay the figure out, write it as PNG (atomically) and close it."""
    fig.tight_layout()
    try:
        return save_figure(fig, Path(path))
    finally:
        pyplot().close(fig)


def fitness_plot(logbook: list[dict], path, metric: str = "kendall") -> Path | None:
    """Best, median and mean population fitness per generation."""
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
    """Per-task test correlation: evolved vs best hand-crafted proxy vs linear baseline."""
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


def transfer_plot(table: dict, path, metric: str, unit: str, labels: dict) -> Path | None:
    """Bars per held-out unit and method (mean over seeds), error bars = std over seeds."""
    plt = pyplot()
    if plt is None or not table:
        return None
    import numpy as np

    units = [u for u in table if u != "mean"] + ["mean"]
    methods = [m for m in labels if any(m in table[u] for u in units)]
    x = np.arange(len(units))
    width = 0.8 / len(methods)
    fig, ax = plt.subplots(figsize=(max(7, 1.1 * len(units) + 2), 4.5))
    for i, m in enumerate(methods):
        means = [table[u].get(m, (np.nan, np.nan))[0] for u in units]
        stds = [table[u].get(m, (np.nan, np.nan))[1] for u in units]
        ax.bar(x + (i - (len(methods) - 1) / 2) * width, means, width, yerr=stds, capsize=2, label=labels[m])
    ax.set_xticks(x)
    ax.set_xticklabels(units, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(f"held-out {metric} (all architectures)")
    ax.set_title(f"leave-one-{unit}-out; error bars: std over seeds", fontsize=9)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7)
    return finish(fig, path)
