"""Rank correlation of many candidate score vectors against one target, vectorized.

`kendall_many` and `spearman_many` take scores of shape (k, n) (or (n,)) and a target of
shape (n,) and return k correlations that equal scipy.stats.kendalltau (tau-b) and
scipy.stats.spearmanr, ties included. A candidate with a non-finite value or zero variance
gets `WORST`, never NaN. `RankTarget` keeps the target-side work for repeated scoring.

Kendall runs in O(n log n) per candidate: candidates are ordered by (target, score), then
discordant pairs are counted as inversions by a bottom-up merge over all rows at once.
"""

from __future__ import annotations

import numpy as np

from zcgp.errors import ZcgpError

__all__ = ["LONG_ROWS", "METRICS", "WORST", "RankTarget", "average_ranks", "count_inversions", "kendall_many",
           "largest_tie", "ranks_among", "spearman_many"]

WORST = -1.0
METRICS = ("kendall", "spearman")
_CHUNK = 256          # candidate rows per block (bounds temporary memory)
_BASE = 8             # merge levels start from brute-forced blocks of this width
# from this many architectures on, Kendall is computed one candidate at a time by scipy's compiled
# merge sort (n log n): the vectorized merge sorts every level (n log^2 n) and its temporaries no
# longer fit in cache (`zcgp bench scale`: 537 -> 484 CPU ms per formula on 19 x 1e5)
LONG_ROWS = 50_000


def _run_starts(sorted_rows: np.ndarray):
    """For rows sorted along axis 1: where a run of equal values begins, and each run's start."""
    k, n = sorted_rows.shape
    new_run = np.empty((k, n), dtype=bool)
    new_run[:, 0] = True
    np.not_equal(sorted_rows[:, 1:], sorted_rows[:, :-1], out=new_run[:, 1:])
    start = np.maximum.accumulate(new_run * np.arange(n), axis=1)
    return new_run, start


def ranks_among(reference: np.ndarray, values) -> np.ndarray:
    """Mid-rank of each value among a sorted reference, in [0, 1]; a NaN value ranks 0.

    Parameters
    ----------
    reference : numpy.ndarray
        Sorted finite values.
    values : float or array
        The values ranked.

    Returns
    -------
    numpy.ndarray
        (number of reference values below + number at or below) / (2 * reference size), shaped
        like `values`.
    """
    below = np.searchsorted(reference, values, "left")
    upto = np.searchsorted(reference, values, "right")
    return np.where(np.isnan(values), 0.0, (below + upto) / (2.0 * max(reference.size, 1)))


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks along axis 1: ``scipy.stats.rankdata(values, method="average", axis=1)``.

    Parameters
    ----------
    values : numpy.ndarray, shape (k, n) or (n,)
        Finite values; a 1-D array is treated as one row.

    Returns
    -------
    numpy.ndarray of float, shape (k, n)
        1-based ranks within each row; tied values share the mean of their ranks.

    Examples
    --------
    >>> average_ranks(np.array([3.0, 1.0, 1.0]))
    array([[3. , 1.5, 1.5]])
    """
    values = np.atleast_2d(values)
    order = np.argsort(values, axis=1)
    sorted_rows = np.take_along_axis(values, order, axis=1)
    n = values.shape[1]
    ranks = np.empty(values.shape, dtype=float)
    if (sorted_rows[:, 1:] != sorted_rows[:, :-1]).all():          # no ties: ordinal ranks
        np.put_along_axis(ranks, order, np.broadcast_to(np.arange(1.0, n + 1), values.shape), axis=1)
        return ranks
    new_run, start = _run_starts(sorted_rows)
    run_end = np.empty_like(new_run)
    run_end[:, -1] = True
    run_end[:, :-1] = new_run[:, 1:]
    end = np.minimum.accumulate(np.where(run_end, np.arange(n), n - 1)[:, ::-1], axis=1)[:, ::-1]
    np.put_along_axis(ranks, order, (start + end) / 2.0 + 1.0, axis=1)
    return ranks


def _dense_ranks_and_ties(values: np.ndarray):
    """0-based dense ranks along axis 1 and the number of tied pairs per row."""
    k, n = values.shape
    order = np.argsort(values, axis=1)
    sorted_rows = np.take_along_axis(values, order, axis=1)
    dense = np.empty(values.shape, dtype=np.int64)
    if (sorted_rows[:, 1:] != sorted_rows[:, :-1]).all():          # no ties: ordinal ranks
        np.put_along_axis(dense, order, np.broadcast_to(np.arange(n), (k, n)), axis=1)
        return dense, np.zeros(k, dtype=np.int64)
    new_run, start = _run_starts(sorted_rows)
    np.put_along_axis(dense, order, np.cumsum(new_run, axis=1) - 1, axis=1)
    return dense, (np.arange(n) - start).sum(axis=1)


def largest_tie(values) -> np.ndarray:
    """The size of the largest group of equal values in each row (NaN equals nothing).

    Parameters
    ----------
    values : array_like of float, shape (k, n) or (n,)
        One row per candidate.

    Returns
    -------
    numpy.ndarray of int, shape (k,)
        1 for a row without ties, n for a constant row.

    Examples
    --------
    >>> largest_tie([[1.0, 1.0, 2.0, 1.0], [1.0, 2.0, 3.0, np.nan]])
    array([3, 1])
    """
    rows = np.sort(np.atleast_2d(np.asarray(values, dtype=float)), axis=1)
    _, start = _run_starts(rows)
    return (np.arange(rows.shape[1]) - start).max(axis=1) + 1


def _tied_pairs_sorted(sorted_rows: np.ndarray) -> np.ndarray:
    _, start = _run_starts(sorted_rows)
    return (np.arange(sorted_rows.shape[1]) - start).sum(axis=1)


def count_inversions(seq: np.ndarray) -> np.ndarray:
    """The number of inversions of each row: pairs i < j with ``seq[i] > seq[j]``.

    Runs in O(n log n) per row, all rows at once (a bottom-up merge, see the module docstring).

    Parameters
    ----------
    seq : numpy.ndarray of int, shape (k, n)
        Non-negative integers, e.g. dense ranks.

    Returns
    -------
    numpy.ndarray of int64, shape (k,)
        Inversions per row.

    Examples
    --------
    >>> count_inversions(np.array([[0, 1, 2], [2, 1, 0]]))
    array([0, 3])
    """
    k, n = seq.shape
    width = _BASE
    while width < n:
        width *= 2
    shift = int(width).bit_length()
    pad = int(seq.max(initial=0)) + 1                  # pads sort last: no inversions
    dtype = np.int32 if (pad + 1) << shift < 2**31 else np.int64
    padded = np.full((k, width), pad, dtype=dtype)
    padded[:, :n] = seq
    blocks = padded.reshape(k, width // _BASE, _BASE)
    upper_i, upper_j = np.triu_indices(_BASE, 1)
    total = np.count_nonzero(blocks[..., upper_i] > blocks[..., upper_j], axis=(1, 2)).astype(np.int64)
    merged = np.sort(blocks, axis=-1).reshape(k, width)
    half = _BASE
    while half < width:
        # merge sorted halves; keys carry each element's original position in the block
        span = 2 * half
        pos = np.arange(span, dtype=dtype)
        keys = merged.reshape(k, width // span, span) << shift
        keys |= pos
        keys.sort(axis=-1)
        # a right-half element (origin >= half) moved left past (origin - pos) larger
        # left-half elements; over the right half that is sum(origin) - sum(pos), the
        # first term fixed. The low bits of a key are its origin, so bit `half` flags it.
        right_pos = ((keys & half).astype(bool) * pos).sum(axis=(1, 2), dtype=np.int64)
        total += (width // span) * (half * half + half * (half - 1) // 2) - right_pos
        merged = (keys >> shift).reshape(k, width)
        half = span
    return total


class RankTarget:
    """One task's target prepared for repeated scoring of many candidates.

    The target's ranks, tie counts and sort keys are computed once; `kendall`, `spearman`
    and `score` then take any number of candidate score vectors over the same architectures.

    Parameters
    ----------
    target : array_like of float, shape (n,)
        The accuracy of each architecture (higher is better); flattened.

    Attributes
    ----------
    n : int
        The number of architectures.
    y : numpy.ndarray of float, shape (n,)
        The target as given.

    Raises
    ------
    ZcgpError
        When the target has fewer than 2 values or a non-finite one.

    Examples
    --------
    >>> t = RankTarget([0.1, 0.2, 0.3, 0.4])
    >>> t.kendall([[1, 2, 3, 4], [4, 3, 2, 1], [1, 1, 1, 1]])
    array([ 1., -1., -1.])
    >>> t.spearman([1, 3, 2, 4])
    array([0.8])
    """

    def __init__(self, target: np.ndarray):
        y = np.asarray(target, dtype=float).ravel()
        if y.size < 2:
            raise ZcgpError(f"rank correlation needs at least 2 architectures, got {y.size}")
        if not np.isfinite(y).all():
            raise ZcgpError("target has non-finite values")
        self.n = y.size
        self.y = y
        y_dense, y_ties = _dense_ranks_and_ties(y[None, :])
        self.y_group_key = y_dense[0] * self.n           # orders pairs by y before x
        self.y_ties = int(y_ties[0])
        ranks = average_ranks(y[None, :])[0]
        self.y_rank_centered = ranks - ranks.mean()
        self.y_rank_norm = float(np.sqrt(self.y_rank_centered @ self.y_rank_centered))
        self.total_pairs = self.n * (self.n - 1) // 2

    def _valid(self, scores: np.ndarray) -> np.ndarray:
        finite = np.isfinite(scores).all(axis=1)
        safe = np.where(finite[:, None], scores, 0.0)
        return finite & (safe.max(axis=1) > safe.min(axis=1))

    def _prepare(self, scores) -> tuple[np.ndarray, np.ndarray]:
        s = np.asarray(scores, dtype=float)
        s = s[None, :] if s.ndim == 1 else s
        if s.ndim != 2 or s.shape[1] != self.n:
            raise ZcgpError(f"scores of shape {s.shape} do not match {self.n} architectures")
        return s, self._valid(s)

    def _by_chunks(self, scores, score_rows) -> np.ndarray:
        """WORST for invalid rows; `score_rows` on blocks of the valid ones."""
        s, valid = self._prepare(scores)
        out = np.full(s.shape[0], WORST)
        rows = np.flatnonzero(valid)
        for lo in range(0, rows.size, _CHUNK):
            chunk = rows[lo:lo + _CHUNK]
            out[chunk] = score_rows(s[chunk])
        return out

    def kendall(self, scores) -> np.ndarray:
        """Kendall's tau-b of each candidate against the target (``scipy.stats.kendalltau``).

        Parameters
        ----------
        scores : array_like of float, shape (k, n) or (n,)
            Candidate scores over the target's architectures, one row per candidate (higher =
            predicted better).

        Returns
        -------
        numpy.ndarray of float, shape (k,)
            Tau in [-1, 1]; WORST for a row with a non-finite value or without variance.

        Raises
        ------
        ZcgpError
            When the rows do not have n values.
        """
        return self._by_chunks(scores, self._kendall_rows)

    def _kendall_rows(self, s: np.ndarray, untied: bool = False) -> np.ndarray:
        """Tau-b of valid rows; `untied`: the candidate's tied pairs stay in the denominator
        (`fitness.families` "kendall_tiebreak")."""
        if self.n >= LONG_ROWS:
            tau = self._kendall_long_rows(s)
            if untied:
                tau = np.where(tau > WORST, tau * np.sqrt(1.0 - _dense_ranks_and_ties(s)[1] / self.total_pairs), WORST)
            return tau
        return self._kendall_merge(s, untied)

    def _kendall_long_rows(self, s: np.ndarray) -> np.ndarray:
        from scipy.stats import kendalltau
        tau = np.array([kendalltau(row, self.y).statistic for row in s], dtype=float)
        return np.where(np.isfinite(tau), np.clip(tau, -1.0, 1.0), WORST)

    def _kendall_merge(self, s: np.ndarray, untied: bool = False) -> np.ndarray:
        x_dense, x_ties = _dense_ranks_and_ties(s)
        joint = np.sort(self.y_group_key + x_dense, axis=1)        # order by (y, x)
        joint_ties = _tied_pairs_sorted(joint) if x_ties.any() else 0
        discordant = count_inversions(joint % self.n)
        tot = self.total_pairs
        con_minus_dis = tot - x_ties - self.y_ties + joint_ties - 2 * discordant
        with np.errstate(divide="ignore", invalid="ignore"):
            tau = con_minus_dis / np.sqrt(tot if untied else tot - x_ties) / np.sqrt(tot - self.y_ties)
        return np.where(np.isfinite(tau), np.clip(tau, -1.0, 1.0), WORST)

    def spearman(self, scores) -> np.ndarray:
        """Spearman's rho of each candidate against the target (``scipy.stats.spearmanr``).

        Parameters
        ----------
        scores : array_like of float, shape (k, n) or (n,)
            Candidate scores over the target's architectures, one row per candidate.

        Returns
        -------
        numpy.ndarray of float, shape (k,)
            Rho in [-1, 1] (ties averaged); WORST for a row with a non-finite value or without
            variance.

        Raises
        ------
        ZcgpError
            When the rows do not have n values.
        """
        return self._by_chunks(scores, self._spearman_rows)

    def _spearman_rows(self, s: np.ndarray) -> np.ndarray:
        r = average_ranks(s)
        r -= r.mean(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            rho = (r @ self.y_rank_centered) / (np.sqrt((r * r).sum(axis=1)) * self.y_rank_norm)
        return np.where(np.isfinite(rho), np.clip(rho, -1.0, 1.0), WORST)

    def score(self, scores, metric: str = "kendall") -> np.ndarray:
        """`kendall` or `spearman` by name.

        Parameters
        ----------
        scores : array_like of float, shape (k, n) or (n,)
            Candidate scores over the target's architectures, one row per candidate.
        metric : str, default "kendall"
            One of METRICS; the other fitness families are `fitness.families.score`.

        Returns
        -------
        numpy.ndarray of float, shape (k,)
            One correlation per candidate (WORST for an invalid one).

        Raises
        ------
        ZcgpError
            When `metric` is not one of METRICS, or the rows do not have n values.

        Examples
        --------
        >>> RankTarget([0.1, 0.2, 0.3, 0.4]).score([1, 3, 2, 4], "kendall")
        array([0.66666667])
        """
        if metric == "kendall":
            return self.kendall(scores)
        if metric == "spearman":
            return self.spearman(scores)
        raise ZcgpError(f"unknown metric '{metric}'; choose from {', '.join(METRICS)}")


def kendall_many(scores, target) -> np.ndarray:
    """Kendall's tau-b of each row of `scores` against `target` (one-off `RankTarget`).

    Parameters
    ----------
    scores : array_like of float, shape (k, n) or (n,)
        Candidate scores, one row per candidate.
    target : array_like of float, shape (n,)
        The accuracies (finite, at least 2).

    Returns
    -------
    numpy.ndarray of float, shape (k,)
        Equal to ``scipy.stats.kendalltau(row, target).statistic`` per row, ties included;
        WORST for a row with a non-finite value or without variance.

    Raises
    ------
    ZcgpError
        As `RankTarget` and `RankTarget.kendall`.

    Examples
    --------
    >>> kendall_many([[1, 3, 2, 4]], [0.1, 0.2, 0.3, 0.4])
    array([0.66666667])
    """
    return RankTarget(target).kendall(scores)


def spearman_many(scores, target) -> np.ndarray:
    """Spearman's rho of each row of `scores` against `target` (one-off `RankTarget`).

    Parameters
    ----------
    scores : array_like of float, shape (k, n) or (n,)
        Candidate scores, one row per candidate.
    target : array_like of float, shape (n,)
        The accuracies (finite, at least 2).

    Returns
    -------
    numpy.ndarray of float, shape (k,)
        Equal to ``scipy.stats.spearmanr(row, target).statistic`` per row; WORST for a row
        with a non-finite value or without variance.

    Raises
    ------
    ZcgpError
        As `RankTarget` and `RankTarget.spearman`.

    Examples
    --------
    >>> spearman_many([[1, 3, 2, 4]], [0.1, 0.2, 0.3, 0.4])
    array([0.8])
    """
    return RankTarget(target).spearman(scores)
