"""Few-shot accuracy predictors over the zero-cost proxies, on the same k labels (`zcgp.predictors`).

With k labeled architectures of one task (10 to 100, say) each predictor learns to order the
task's other architectures; it is scored by rank correlation, so only the order of its
predictions matters. The inputs (`feature_matrix`) are the task's proxies as ranks within the
rows at hand, optionally the evolved formula's scores (ranked the same way) and an architecture
encoding: `zcgp.spaces.encoding.one_hot`, or an embedding learned without labels
(`fit_embedder`). Every predictor fits the target's rank in [0, 1]
(`zcgp.fitness.baselines.target_rank`), predicts "higher = better", and is deterministic: the
same inputs and seed give bit-identical predictions.

Predictors (`PREDICTORS`, `fit_predictor`):

- "ridge": ridge regression in closed form (`zcgp.fitness.baselines.fit_ridge`, option `alpha`,
  default 1.0).
- "lightgbm": a LightGBM regressor with small-data defaults (100 trees of at most 7 leaves, 3
  rows per leaf, learning rate 0.1, one thread, deterministic); the optional extra
  `pip install zcgp[boost]`.
- "mlp-mse", "mlp-pairwise", "mlp-listmle", "mlp-weighted": a small torch MLP (2 hidden layers
  of 32 ReLU units), trained full-batch with Adam (300 epochs, learning rate 1e-2, weight decay
  1e-4) on standardized features (the training rows' mean and standard deviation), on CPU in
  float64 with one thread, seeded inside `torch.random.fork_rng` (the caller's torch random
  state is left untouched). One loss per family, as compared for predictor-based NAS in
  "Loss Functions for Predictor-based Neural Architecture Search" (Ji et al., 2023):

  * regression, "mse": the mean squared error to the target rank;
  * pairwise ranking, "pairwise": the RankNet logistic loss (Burges et al., "Learning to rank
    using gradient descent", ICML 2005), `log(1 + exp(-(s_i - s_j)))` averaged over all
    ordered pairs with y_i > y_j;
  * listwise ranking, "listmle": ListMLE (Xia et al., "Listwise approach to learning to rank:
    theory and algorithm", ICML 2008), the negative log-likelihood of the true order under the
    Plackett-Luce model of the scores (`listmle_loss`), averaged over positions;
  * weighted ranking, "weighted": the pairwise logistic loss with pair (i, j) weighted by
    1 / log2(2 + r), r the position of the better architecture i by true accuracy (0 = the
    best; tied architectures share the best position of their group) (`pair_weights`), so
    mistakes among the top architectures cost most; normalized by the sum of the weights.

  The pairwise losses build an (n, n) matrix: fine for the few hundred rows of a few-shot fit.

Architecture embeddings learned without labels (`fit_embedder`): a graph autoencoder for a
space with a graph (`zcgp.spaces.encoding.graph`: nb101, nb201, tnb101_micro, user spaces with
`graph`), in the spirit of arch2vec (Yan et al., NeurIPS 2020): a 2-layer GCN over the DAG made
undirected with self-loops (symmetric normalization), its node vectors mean-pooled into the
embedding, and a decoder reconstructing the adjacency (inner products of node vectors, logistic)
and every node's type; for the other spaces (nb301, tnb101_macro) an MLP autoencoder over
`one_hot`. `Embedder.kind` says which ("graph" or "one-hot").
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from zcgp.errors import ZcgpError
from zcgp.fitness.baselines import fit_ridge, pair_weights, rank_features, target_rank
from zcgp.fitness.tasks import Task
from zcgp.fitness.transforms import apply_transform
from zcgp.spaces.encoding import graph, one_hot

__all__ = ["FEATURES", "LOSSES", "PREDICTORS", "Embedder", "Fitted", "feature_matrix", "fit_embedder",
           "fit_predictor", "listmle_loss", "pair_weights", "parse_features", "ranking_loss"]

PREDICTORS = {
    "ridge": "ridge regression of the accuracy rank on the features (closed form; option alpha)",
    "lightgbm": "LightGBM gradient boosting with small-data defaults (extra: pip install zcgp[boost])",
    "mlp-mse": "small torch MLP, regression loss: mean squared error to the accuracy rank",
    "mlp-pairwise": "small torch MLP, pairwise ranking loss: RankNet logistic loss over ordered pairs",
    "mlp-listmle": "small torch MLP, listwise ranking loss: ListMLE (Plackett-Luce likelihood of the true order)",
    "mlp-weighted": "small torch MLP, pairwise logistic loss weighted 1/log2(2 + r) towards the top",
}
LOSSES = ("mse", "pairwise", "listmle", "weighted")
# inputs besides the proxies' ranks: the evolved formula's scores and/or an architecture encoding
FEATURES = ("", "+formula", "+onehot", "+formula+onehot", "+gae", "+formula+gae")

RIDGE_DEFAULTS = {"alpha": 1.0}
LIGHTGBM_DEFAULTS = {"n_estimators": 100, "num_leaves": 7, "min_child_samples": 3, "learning_rate": 0.1,
                     "n_jobs": 1, "verbose": -1, "deterministic": True}
MLP_DEFAULTS = {"hidden": (32, 32), "epochs": 300, "lr": 1e-2, "weight_decay": 1e-4}
EMBED_EPOCHS = 200
_EMBED_HIDDEN = 32
_EMBED_LR = 1e-2


# ----------------------------------------------------------------------------- features

def parse_features(extra: str) -> tuple[bool, str | None]:
    """(with the formula, the encoding: "onehot", "gae" or None) of one of FEATURES.

    Parameters
    ----------
    extra : str
        One of FEATURES ("" or "none": the proxies' ranks alone).

    Returns
    -------
    tuple of (bool, str or None)

    Raises
    ------
    ZcgpError
        Anything else.

    Examples
    --------
    >>> parse_features("+formula+gae")
    (True, 'gae')
    """
    extra = "" if extra == "none" else extra
    if extra not in FEATURES:
        raise ZcgpError(f"unknown features '{extra}'; choose from {', '.join(f or 'none' for f in FEATURES)}")
    return "formula" in extra, next((e for e in ("onehot", "gae") if e in extra), None)


def feature_matrix(task: Task, rows, *, proxies: Sequence[str], formula_scores=None, encoding=None) -> np.ndarray:
    """The predictors' inputs for the architectures `task.archs[rows]`.

    Every column but the encoding is a rank transform within `rows`: a proxy's value becomes its
    average rank scaled to [0, 1] among these rows (`zcgp.fitness.baselines.rank_features`).
    Build the training rows and the test rows with two separate calls: each set is ranked within
    itself, so the features are percentiles of the set they describe, never of the other one.

    Parameters
    ----------
    task : Task
        The task whose proxy table is read.
    rows : array of int
        Indices into `task.archs`.
    proxies : sequence of str
        Proxy names, one column each; a proxy absent from the task is the neutral 0.5, a
        missing value the column's median.
    formula_scores : array of float, optional
        The evolved formula's scores of the architectures `rows` (length len(rows)), appended
        as one column ranked within `rows` (`apply_transform(..., "rank")`; NaN -> median).
    encoding : array, optional
        (len(rows), d) architecture encoding (e.g. `zcgp.spaces.encoding.one_hot` or
        `Embedder.embed`), appended as it is.

    Returns
    -------
    numpy.ndarray
        (len(rows), len(proxies) + [1 with a formula] + [d with an encoding]) float64.

    Raises
    ------
    ZcgpError
        Rows out of range, no feature at all, or `formula_scores` / `encoding` of the wrong
        shape or not finite.
    """
    rows = np.asarray(rows)
    if rows.ndim != 1 or (rows.size and not np.issubdtype(rows.dtype, np.integer)):
        raise ZcgpError(f"rows must be a 1-d array of indices, got shape {rows.shape} of {rows.dtype}")
    if rows.size and (rows.min() < -task.n or rows.max() >= task.n):
        raise ZcgpError(f"rows out of range for task {task.id} of {task.n} architectures")
    proxies = [proxies] if isinstance(proxies, str) else list(proxies)
    parts = [rank_features(task, proxies, rows)]
    if formula_scores is not None:
        scores = np.asarray(formula_scores, dtype=float)
        if scores.shape != (rows.size,):
            raise ZcgpError(f"formula_scores has shape {scores.shape}; expected ({rows.size},), one per row")
        parts.append(apply_transform(scores[:, None], "rank"))
    if encoding is not None:
        enc = np.asarray(encoding, dtype=float)
        if enc.ndim != 2 or enc.shape[0] != rows.size:
            raise ZcgpError(f"encoding has shape {enc.shape}; expected ({rows.size}, d), one row per row")
        if not np.isfinite(enc).all():
            raise ZcgpError("encoding has non-finite values")
        parts.append(enc)
    out = np.hstack(parts)
    if not out.shape[1]:
        raise ZcgpError("no features: give proxies, formula_scores or an encoding")
    return out


# ----------------------------------------------------------------------------- losses

def _pair_mask(y: np.ndarray) -> np.ndarray:
    return (y[:, None] > y[None, :]).astype(float)


def _torch_loss(loss: str, y: np.ndarray, torch):
    """A function scores (n,) tensor -> scalar tensor for the loss `loss` against target `y`."""
    target = torch.as_tensor(target_rank(y), dtype=torch.float64)
    if loss == "mse":
        return lambda s: torch.mean((s - target) ** 2)
    if loss in ("pairwise", "weighted"):
        weights = torch.as_tensor(pair_weights(y) if loss == "weighted" else _pair_mask(y), dtype=torch.float64)
        total = weights.sum()
        if not float(total):                          # all targets tied: nothing to order
            return lambda s: (s * 0.0).sum()
        return lambda s: (weights * torch.nn.functional.softplus(s[None, :] - s[:, None])).sum() / total
    order = torch.as_tensor(np.argsort(-y, kind="stable"))            # true order, best first

    def listmle(s):
        ordered = s[order]
        tail = torch.logcumsumexp(ordered.flip(0), dim=0).flip(0)     # log sum_{k >= i} exp(s_k)
        return torch.mean(tail - ordered)

    return listmle


def _check_loss(loss: str) -> None:
    if loss not in LOSSES:
        raise ZcgpError(f"unknown loss '{loss}'; choose from {', '.join(LOSSES)}")


def ranking_loss(loss: str, scores, y) -> float:
    """The value of one of the MLP losses for given scores.

    Parameters
    ----------
    loss : str
        One of `LOSSES`: "mse", "pairwise", "listmle", "weighted".
    scores : array of float
        Predicted scores (higher = better), one per architecture.
    y : array of float
        True accuracies, same length.

    Returns
    -------
    float
        The loss (lower = scores closer to the true order).

    Raises
    ------
    ZcgpError
        An unknown loss or arrays of different shapes.
    """
    import torch

    _check_loss(loss)
    s, y = _vector(scores, "scores"), _vector(y, "y")
    if s.shape != y.shape:
        raise ZcgpError(f"scores {s.shape} and y {y.shape} differ in shape")
    return float(_torch_loss(loss, y, torch)(torch.as_tensor(s, dtype=torch.float64)))


def listmle_loss(scores, y) -> float:
    """ListMLE: the mean over positions of the Plackett-Luce negative log-likelihood of the true order.

    Parameters
    ----------
    scores : array of float
        Predicted scores (higher = better).
    y : array of float
        True accuracies; the true order sorts them best first.

    Returns
    -------
    float
        mean_i [log sum_{k >= i} exp(s_pi(k)) - s_pi(i)], pi the true order.
    """
    return ranking_loss("listmle", scores, y)


# ----------------------------------------------------------------------------- fitting

def _vector(values, what: str) -> np.ndarray:
    try:
        out = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ZcgpError(f"{what} must be numbers") from None
    if out.ndim != 1:
        raise ZcgpError(f"{what} must be 1-d, got shape {out.shape}")
    if not np.isfinite(out).all():
        raise ZcgpError(f"{what} has non-finite values")
    return out


def _matrix(X, what: str = "X") -> np.ndarray:
    try:
        out = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        raise ZcgpError(f"{what} must be numbers") from None
    if out.ndim != 2 or not out.shape[1]:
        raise ZcgpError(f"{what} must be a 2-d (rows, features) array with a feature, got shape {out.shape}")
    if not np.isfinite(out).all():
        raise ZcgpError(f"{what} has non-finite values")
    return out


@contextlib.contextmanager
def _torch_session(seed: int):
    """torch seeded with `seed` in a forked random state, one CPU thread; both restored after."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            yield torch
    finally:
        torch.set_num_threads(threads)


@dataclass
class Fitted:
    """A fitted predictor: `predict(X)` scores new rows (higher = predicted better).

    Parameters
    ----------
    name : str
        The predictor (a key of `PREDICTORS`).
    n_features : int
        The number of columns it was fitted on (and `predict` expects).
    options : dict
        The settings it was fitted with (defaults filled in), and the seed.
    model : object
        The fitted model: (coefficients, intercept) for ridge, an LGBMRegressor, or a torch
        module with the training mean and standard deviation for the MLPs.
    """

    name: str
    n_features: int
    options: dict = field(default_factory=dict)
    model: Any = None

    def predict(self, X) -> np.ndarray:
        """Scores of the rows of `X` (higher = predicted better).

        Parameters
        ----------
        X : array
            (n, n_features) features, built like the training ones (`feature_matrix`).

        Returns
        -------
        numpy.ndarray
            (n,) float64 scores.

        Raises
        ------
        ZcgpError
            `X` of another width or with non-finite values.
        """
        X = _matrix(X)
        if X.shape[1] != self.n_features:
            raise ZcgpError(f"X has {X.shape[1]} features; the {self.name} predictor was fitted on {self.n_features}")
        if self.name == "ridge":
            coef, intercept = self.model
            return X @ coef + intercept
        if self.name == "lightgbm":
            return np.asarray(self.model.predict(X), dtype=float)
        net, mean, std = self.model
        with _torch_session(self.options.get("seed", 0)) as torch, torch.no_grad():
            out = net(torch.as_tensor((X - mean) / std, dtype=torch.float64))
        return out.numpy().astype(float).ravel()


def _options(name: str, given: dict, defaults: dict) -> dict:
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise ZcgpError(f"unknown option(s) {', '.join(unknown)} for predictor {name}; valid: {', '.join(defaults)}")
    return {**defaults, **given}


def _fit_lightgbm(X: np.ndarray, t: np.ndarray, seed: int, options: dict):
    try:
        from lightgbm import LGBMRegressor
    except ImportError:
        raise ZcgpError("the lightgbm predictor needs lightgbm: pip install zcgp[boost]") from None
    if "random_state" in options:
        raise ZcgpError("give the lightgbm predictor's seed as seed=, not random_state=")
    settings = {**LIGHTGBM_DEFAULTS, **options}
    return LGBMRegressor(random_state=int(seed), **settings).fit(X, t), settings


def _mlp(torch, n_in: int, hidden: Sequence[int]):
    layers, width = [], n_in
    for h in hidden:
        layers += [torch.nn.Linear(width, int(h)), torch.nn.ReLU()]
        width = int(h)
    layers.append(torch.nn.Linear(width, 1))
    return torch.nn.Sequential(*layers).double()


def _check_mlp_options(options: dict) -> None:
    hidden = options["hidden"]
    if isinstance(hidden, (int, np.integer)):
        hidden = (int(hidden),)
    if not all(isinstance(h, (int, np.integer)) and h > 0 for h in hidden):
        raise ZcgpError(f"hidden must be positive layer widths, got {options['hidden']!r}")
    options["hidden"] = tuple(int(h) for h in hidden)
    if not isinstance(options["epochs"], (int, np.integer)) or options["epochs"] < 1:
        raise ZcgpError(f"epochs must be a positive integer, got {options['epochs']!r}")
    for key in ("lr", "weight_decay"):
        if not isinstance(options[key], (int, float)) or options[key] < 0 or (key == "lr" and options[key] == 0):
            raise ZcgpError(f"{key} must be a {'positive' if key == 'lr' else 'non-negative'} number, "
                            f"got {options[key]!r}")


def _fit_mlp(loss: str, X: np.ndarray, y: np.ndarray, seed: int, options: dict):
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    with _torch_session(seed) as torch:
        net = _mlp(torch, X.shape[1], options["hidden"])
        inputs = torch.as_tensor((X - mean) / std, dtype=torch.float64)
        objective = _torch_loss(loss, y, torch)
        optimizer = torch.optim.Adam(net.parameters(), lr=float(options["lr"]),
                                     weight_decay=float(options["weight_decay"]))
        for _ in range(int(options["epochs"])):
            optimizer.zero_grad()
            value = objective(net(inputs).ravel())
            value.backward()
            optimizer.step()
        net.eval()
    return net, mean, std


def fit_predictor(name: str, X, y, *, seed: int = 0, **options) -> Fitted:
    """Fit one predictor on labeled rows; the target is the rank of `y` scaled to [0, 1].

    Parameters
    ----------
    name : str
        A key of `PREDICTORS`: "ridge", "lightgbm", "mlp-mse", "mlp-pairwise", "mlp-listmle",
        "mlp-weighted".
    X : array
        (n, d) features of the labeled architectures (`feature_matrix`), n >= 2.
    y : array of float
        (n,) their accuracies (higher = better); only their order is used.
    seed : int, default 0
        Seeds the MLP's initialisation and LightGBM; the same inputs and seed give identical
        predictions.
    **options
        ridge: alpha (1.0). lightgbm: any LGBMRegressor parameter (defaults `LIGHTGBM_DEFAULTS`).
        mlp-*: hidden (32, 32), epochs 300, lr 1e-2, weight_decay 1e-4 (`MLP_DEFAULTS`).

    Returns
    -------
    Fitted
        The fitted predictor; `Fitted.predict(X)` scores new rows.

    Raises
    ------
    ZcgpError
        An unknown predictor or option, X and y of mismatched shapes, fewer than 2 rows,
        non-finite values, or lightgbm missing for "lightgbm".
    """
    if name not in PREDICTORS:
        raise ZcgpError(f"unknown predictor '{name}'; choose from {', '.join(PREDICTORS)}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ZcgpError(f"seed must be an integer, got {seed!r}")
    X, y = _matrix(X), _vector(y, "y")
    if X.shape[0] != y.size:
        raise ZcgpError(f"X has {X.shape[0]} rows but y has {y.size} values")
    if y.size < 2:
        raise ZcgpError(f"a predictor needs at least 2 labeled architectures, got {y.size}")
    t = target_rank(y)
    if name == "ridge":
        settings = _options(name, options, RIDGE_DEFAULTS)
        alpha = settings["alpha"]
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not alpha > 0:
            raise ZcgpError(f"alpha must be a positive number, got {alpha!r}")
        model = fit_ridge(X, t, float(alpha))
    elif name == "lightgbm":
        model, settings = _fit_lightgbm(X, t, int(seed), options)
    else:
        settings = _options(name, options, MLP_DEFAULTS)
        _check_mlp_options(settings)
        model = _fit_mlp(name.removeprefix("mlp-"), X, y, int(seed), settings)
    return Fitted(name=name, n_features=X.shape[1], options={**settings, "seed": int(seed)}, model=model)


# ----------------------------------------------------------------------------- embeddings

def _graph_batch(space: Any, archs: Sequence[Any], n_types: int | None = None):
    """Padded (B, N, N) adjacency, (B, N, F) features and (B, N) mask of the archs' graphs."""
    graphs = []
    for arch in archs:
        g = graph(space, arch)
        if g is None:
            raise ZcgpError(f"space {getattr(space, 'name', space)} has no graph for {arch!r}")
        graphs.append(g)
    width = {g[1].shape[1] for g in graphs}
    if n_types is not None:
        width.add(n_types)
    if len(width) > 1:
        raise ZcgpError(f"space {getattr(space, 'name', space)}: graphs with different node feature widths "
                        f"{sorted(width)}")
    n_max = max(g[0].shape[0] for g in graphs)
    f = width.pop()
    adjacency = np.zeros((len(graphs), n_max, n_max))
    features = np.zeros((len(graphs), n_max, f))
    mask = np.zeros((len(graphs), n_max))
    for b, (a, x) in enumerate(graphs):
        n = a.shape[0]
        adjacency[b, :n, :n] = a
        features[b, :n] = x
        mask[b, :n] = 1.0
    return adjacency, features, mask


def _normalized(torch, adjacency, mask):
    """D^-1/2 (A + A^T + I) D^-1/2 over the real nodes (padding nodes stay isolated zeros)."""
    sym = ((adjacency + adjacency.transpose(1, 2)) > 0).double()
    sym = sym + torch.diag_embed(mask)
    degree = sym.sum(-1).clamp(min=1.0)
    scale = degree.rsqrt() * mask
    return scale[:, :, None] * sym * scale[:, None, :]


class _GraphAutoencoder:
    """The GCN encoder and its decoders (built under a seeded torch session)."""

    def __init__(self, torch, n_types: int, dim: int):
        self.layer1 = torch.nn.Linear(n_types, _EMBED_HIDDEN).double()
        self.layer2 = torch.nn.Linear(_EMBED_HIDDEN, dim).double()
        self.types = torch.nn.Linear(dim, n_types).double()

    def parameters(self):
        return [*self.layer1.parameters(), *self.layer2.parameters(), *self.types.parameters()]

    def nodes(self, torch, adjacency, features, mask):
        norm = _normalized(torch, adjacency, mask)
        hidden = torch.relu(norm @ self.layer1(features))
        return (norm @ self.layer2(hidden)) * mask[:, :, None]

    def pooled(self, torch, adjacency, features, mask):
        z = self.nodes(torch, adjacency, features, mask)
        return z.sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)


def _train_graph(torch, ae: _GraphAutoencoder, adjacency, features, mask, epochs: int) -> None:
    target = ((adjacency + adjacency.transpose(1, 2)) > 0).double()
    pair_mask = mask[:, :, None] * mask[:, None, :] * (1.0 - torch.eye(mask.shape[1], dtype=torch.float64))
    one_hot_types = bool(((features.sum(-1) - mask).abs() < 1e-9).all() and ((features == 0) | (features == 1)).all())
    labels = features.argmax(-1)
    optimizer = torch.optim.Adam(ae.parameters(), lr=_EMBED_LR)
    nodes = mask.sum()
    for _ in range(epochs):
        optimizer.zero_grad()
        z = ae.nodes(torch, adjacency, features, mask)
        logits = z @ z.transpose(1, 2)
        edge_loss = (torch.nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
                     * pair_mask).sum() / pair_mask.sum().clamp(min=1.0)
        type_logits = ae.types(z)
        if one_hot_types:
            per_node = torch.nn.functional.cross_entropy(type_logits.transpose(1, 2), labels, reduction="none")
        else:
            per_node = ((type_logits - features) ** 2).mean(-1)
        type_loss = (per_node * mask).sum() / nodes
        (edge_loss + type_loss).backward()
        optimizer.step()


def _train_one_hot(torch, encoder, decoder, codes, epochs: int) -> None:
    optimizer = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=_EMBED_LR)
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(decoder(encoder(codes)), codes.clamp(0.0, 1.0))
        loss.backward()
        optimizer.step()


@dataclass
class Embedder:
    """An architecture embedding learned without labels: `embed(archs)` -> (n, dim).

    Parameters
    ----------
    space : SearchSpace
        The space it was fitted on.
    kind : str
        "graph" (a graph autoencoder over `zcgp.spaces.encoding.graph`) or "one-hot" (an MLP
        autoencoder over `zcgp.spaces.encoding.one_hot`).
    dim : int
        The embedding's width.
    seed : int
        The seed it was fitted with.
    model : object
        The trained encoder.
    samples : int
        The number of unlabeled architectures it was trained on.
    """

    space: Any
    kind: str
    dim: int
    seed: int
    model: Any
    samples: int = 0

    def embed(self, archs: Sequence[Any]) -> np.ndarray:
        """The embedding of each architecture (equal for spellings of one architecture).

        Parameters
        ----------
        archs : sequence
            Architectures of the space, in any spelling it accepts.

        Returns
        -------
        numpy.ndarray
            (len(archs), dim) float64.

        Raises
        ------
        ZcgpError
            A malformed architecture.
        """
        archs = list(archs)
        if not archs:
            return np.zeros((0, self.dim))
        with _torch_session(self.seed) as torch, torch.no_grad():
            if self.kind == "graph":
                ae, n_types = self.model
                a, x, m = (torch.as_tensor(v, dtype=torch.float64) for v in _graph_batch(self.space, archs, n_types))
                out = ae.pooled(torch, a, x, m)
            else:
                out = self.model(torch.as_tensor(one_hot(self.space, archs), dtype=torch.float64))
        return out.numpy().astype(float)


def fit_embedder(space: Any, *, samples: int = 1000, dim: int = 16, epochs: int = EMBED_EPOCHS,
                 seed: int = 0) -> Embedder:
    """Learn an architecture embedding without labels on `space.sample_distinct(samples, seed)`.

    A graph autoencoder (2-layer GCN encoder mean-pooled into the embedding; decoders of the
    adjacency, by inner products, and of the node types) for a space with a graph
    (`zcgp.spaces.encoding.graph`), else an MLP autoencoder over `one_hot`; full-batch Adam
    (learning rate 1e-2) on CPU, deterministic per seed.

    Parameters
    ----------
    space : SearchSpace
        A registered space or a user space with `graph` or `encode`.
    samples : int, default 1000
        Unlabeled architectures to train on (fewer when the space has fewer distinct ones).
    dim : int, default 16
        The embedding's width.
    epochs : int, default 200
        Full-batch training steps.
    seed : int, default 0
        Seeds the sampling and the training.

    Returns
    -------
    Embedder
        `Embedder.embed(archs)` -> (n, dim); `Embedder.kind` is "graph" or "one-hot".

    Raises
    ------
    ZcgpError
        Non-positive sizes, or a space with neither a graph nor an encoding.
    """
    for label, value in (("samples", samples), ("dim", dim), ("epochs", epochs)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ZcgpError(f"{label} must be a positive integer, got {value!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ZcgpError(f"seed must be an integer, got {seed!r}")
    archs = space.sample_distinct(int(samples), int(seed))
    if not archs:
        raise ZcgpError(f"space {getattr(space, 'name', space)} sampled no architecture")
    kind = "graph" if graph(space, archs[0]) is not None else "one-hot"
    if kind == "one-hot":
        codes_np = one_hot(space, archs)
    else:
        batch = _graph_batch(space, archs)
    with _torch_session(seed) as torch:
        if kind == "graph":
            a, x, m = (torch.as_tensor(v, dtype=torch.float64) for v in batch)
            ae = _GraphAutoencoder(torch, x.shape[2], int(dim))
            _train_graph(torch, ae, a, x, m, int(epochs))
            model = (ae, int(x.shape[2]))
        else:
            codes = torch.as_tensor(codes_np, dtype=torch.float64)
            width = codes.shape[1]
            encoder = torch.nn.Sequential(torch.nn.Linear(width, 2 * _EMBED_HIDDEN), torch.nn.ReLU(),
                                          torch.nn.Linear(2 * _EMBED_HIDDEN, int(dim))).double()
            decoder = torch.nn.Sequential(torch.nn.Linear(int(dim), 2 * _EMBED_HIDDEN), torch.nn.ReLU(),
                                          torch.nn.Linear(2 * _EMBED_HIDDEN, width)).double()
            _train_one_hot(torch, encoder, decoder, codes, int(epochs))
            model = encoder.eval()
    return Embedder(space=space, kind=kind, dim=int(dim), seed=int(seed), model=model, samples=len(archs))
