"""Plain-text tables for the terminal (no dependencies)."""

from __future__ import annotations

import math


def fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def format_table(header: list[str], rows: list[list], footer: list[list] | None = None) -> str:
    """Left-aligned first column, right-aligned others, a rule under the header and before the footer."""
    cells = [[fmt(c) for c in row] for row in [header, *rows, *(footer or [])]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    out = [line(cells[0]), rule, *(line(r) for r in cells[1:1 + len(rows)])]
    if footer:
        out += [rule, *(line(r) for r in cells[1 + len(rows):])]
    return "\n".join(out)
