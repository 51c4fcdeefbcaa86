"""Names, families and conventions of the zero-cost proxies (torch-free).

Every proxy is a scalar per network, "higher means better" as published. Those also in
the NAS-Bench-Suite-Zero files keep the files' sign and scale (NASLib's implementations),
so a formula evolved on the files means the same on freshly computed values.

A proxy's `family` names the pass that computes it; proxies of one family share that pass:
- static: no data; params and flops from one hooked batch-1 forward, l2_norm from weights.
- shared: ONE forward on the batch (train-mode BN) with hooks, then backward passes from it:
  loss gradients (grad_norm, snip, plain, fisher, grasp, zico), ReLU codes and feature
  maps seen by the hooks (nwot, swap, meco), the input Jacobian (jacov, epe_nas).
- synflow: float64 copy with |weights|, BN bypassed, an all-ones input.
- zen: Gaussian re-initialised copy, Gaussian inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

from zcgp.errors import UserInputError

__all__ = ["PASSES", "PROXIES", "PROXY_NAMES", "REQUIRED", "ProxySpec", "by_family", "resolve_names"]


@dataclass(frozen=True)
class ProxySpec:
    """What a registered proxy is: its name, the pass computing it, a formula and a citation.

    Parameters
    ----------
    name : str
        The proxy's name (a key of `PROXIES`).
    family : str
        The pass that computes it: "static", "shared", "synflow" or "zen" (see `PASSES`).
    summary : str
        What it measures, as a formula in words.
    reference : str
        The paper it comes from ("-" for plain counts).
    in_benchmark : bool
        True when the NAS-Bench-Suite-Zero files hold its values.

    Examples
    --------
    >>> PROXIES["snip"].family, PROXIES["snip"].reference
    ('shared', 'Lee et al. 2019')
    """

    name: str
    family: str           # static | shared | synflow | zen
    summary: str
    reference: str
    in_benchmark: bool    # present in the NAS-Bench-Suite-Zero files


_SPECS = (
    ProxySpec("synflow", "synflow", "log sum |w * dR/dw|, R = sum of outputs of the |w| network on ones "
              "(float64, BN bypassed)", "Tanaka et al. 2020; Abdelfattah et al. 2021", True),
    ProxySpec("jacov", "shared", "-sum(log(l + k) + 1/(l + k)) over eigenvalues l of the correlation of "
              "per-sample input gradients of the summed outputs, k = 1e-5", "Mellor et al. 2021 (v1)", True),
    ProxySpec("snip", "shared", "sum |w * dL/dw| over conv/linear weights", "Lee et al. 2019", True),
    ProxySpec("grad_norm", "shared", "sum over conv/linear layers of ||dL/dw||_2", "Abdelfattah et al. 2021", True),
    ProxySpec("nwot", "shared", "log|det K|, K = Hamming-similarity kernel of the batch's ReLU codes",
              "Mellor et al. 2021 (v2)", True),
    ProxySpec("fisher", "shared", "sum over conv/linear channels of 0.5 * mean_n (sum_hw a * dL/da)^2, "
              "times the channel's fan-in", "Turner et al. 2020", True),
    ProxySpec("grasp", "shared", "sum -w * (H g) over conv/linear weights, g = dL/dw", "Wang et al. 2020", True),
    ProxySpec("plain", "shared", "sum w * dL/dw over conv/linear weights", "Mozer & Smolensky 1989", True),
    ProxySpec("l2_norm", "static", "sum over conv/linear layers of ||w||_2", "Abdelfattah et al. 2021", True),
    ProxySpec("params", "static", "parameters of the modules used in a forward, in millions", "-", True),
    ProxySpec("flops", "static", "FLOPs of one input (multiply-accumulate = 1), in millions", "-", True),
    ProxySpec("epe_nas", "shared", "sum over classes of |sum log(|corr| + k)| of per-class input-gradient "
              "correlations (pairwise differences above 100 classes)", "Lopes et al. 2021", True),
    ProxySpec("zen", "zen", "log E|f(x) - f(x + 0.01 e)| + sum log sigma_BN, Gaussian weights and inputs, "
              "f = features before global pooling, sigma_BN = sqrt(mean batch variance)",
              "Lin et al. 2021", False),
    ProxySpec("meco", "shared", "sum over module outputs of the minimum eigenvalue of the channel "
              "correlation of the first sample's feature map", "Jiang et al. 2023", False),
    ProxySpec("zico", "shared", "sum over conv/linear layers of log sum mean|g| / std(g), statistics over "
              "the gradients of the two halves of the batch", "Li et al. 2023", False),
    ProxySpec("swap", "shared", "number of distinct sample-wise activation patterns (per-neuron sign "
              "vectors across the batch) of the ReLUs on feature maps", "Peng et al. 2024", False),
)

PROXIES: dict[str, ProxySpec] = {spec.name: spec for spec in _SPECS}
PROXY_NAMES: tuple[str, ...] = tuple(PROXIES)
REQUIRED = ("synflow", "jacov", "snip", "grad_norm")
PASSES = ("static", "shared", "synflow", "zen")     # pass families, in the order they run


def resolve_names(names: str | list[str] | tuple[str, ...] | None = None) -> tuple[str, ...]:
    """'all'/None, a comma list or a sequence of names -> known names, input order, no repeats.

    Parameters
    ----------
    names : str, list of str, tuple of str or None
        None (all proxies), a comma-separated string, or a sequence of names; 'all' (any
        case) anywhere stands for every proxy in registry order. Blanks around names are
        ignored.

    Returns
    -------
    tuple of str
        The chosen names in the order given, each once.

    Raises
    ------
    UserInputError
        When no name is given or a name is not a registered proxy.

    Examples
    --------
    >>> resolve_names("snip, synflow,snip")
    ('snip', 'synflow')
    >>> resolve_names(["jacov"])
    ('jacov',)
    >>> resolve_names(None) == PROXY_NAMES
    True
    >>> resolve_names("foo")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    zcgp.errors.UserInputError: unknown proxy 'foo'; known: synflow, jacov, snip, ...
    """
    if names is None:
        return PROXY_NAMES
    parts = names.split(",") if isinstance(names, str) else list(names)
    parts = [str(p).strip() for p in parts if str(p).strip()]
    if not parts:
        raise UserInputError("no proxy named; use 'all' or a comma list of: " + ", ".join(PROXY_NAMES))
    chosen: list[str] = []
    for part in parts:
        hits = PROXY_NAMES if part.lower() == "all" else (part,)
        for hit in hits:
            if hit not in PROXIES:
                raise UserInputError(f"unknown proxy '{hit}'; known: {', '.join(PROXY_NAMES)}")
            if hit not in chosen:
                chosen.append(hit)
    return tuple(chosen)


def by_family(names: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Group names by the pass that computes them, in pass order.

    Parameters
    ----------
    names : tuple of str
        Registered proxy names (e.g. from `resolve_names`).

    Returns
    -------
    dict of str to tuple of str
        Family -> its names in input order, families in `PASSES` order, empty ones left out.

    Raises
    ------
    KeyError
        When a name is not registered.

    Examples
    --------
    >>> by_family(("snip", "synflow", "params"))
    {'static': ('params',), 'shared': ('snip',), 'synflow': ('synflow',)}
    """
    groups = {family: tuple(n for n in names if PROXIES[n].family == family) for family in PASSES}
    return {family: group for family, group in groups.items() if group}
