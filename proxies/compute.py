"""`compute_proxies`: any subset of the registered proxies for one or many networks.

Work is shared per network: one hooked batch-1 forward for params/flops (plus the weights
for l2_norm), ONE forward of the batch for every gradient-, activation- and Jacobian-based
proxy (see `proxies.shared`), and synflow and zen their own cheap passes. Inputs and targets
move to the device once per call, a network's tensors once per network. Passes call the
network functionally with private tensors (`proxies.nets`), so the caller's networks are
never changed (weights, buffers, grads, mode and hooks) and no deep copy is paid for.

Result: a `ProxyResult`, a mapping name -> float64 array with one value per network, plus
`.failures`, a list of `Failure(network, proxy, reason)`. A proxy that raises or yields a
non-finite number is NaN in the array and listed in failures; the batch always completes.
Determinism: each network's passes run under `torch.manual_seed(seed)` (in a forked RNG
state, so the caller's RNG is untouched) and zen draws from a generator seeded with `seed`.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from zcgp.errors import UserInputError
from zcgp.proxies.nets import network_state
from zcgp.proxies.registry import by_family, resolve_names
from zcgp.proxies.shared import shared_pass
from zcgp.proxies.static import static_pass
from zcgp.proxies.synflow import synflow_pass
from zcgp.proxies.zen import zen_pass

__all__ = ["Failure", "ProxyResult", "compute_proxies", "resolve_device"]


@dataclass(frozen=True)
class Failure:
    """One proxy that failed on one network (its value is NaN).

    Parameters
    ----------
    network : int
        Position of the network in the `networks` argument.
    proxy : str
        The proxy's name.
    reason : str
        "ExceptionType: message", "non-finite value ..." or "not computed".
    """

    network: int          # position in the `networks` argument
    proxy: str
    reason: str


@dataclass
class ProxyResult(Mapping):
    """name -> array of one value per network (NaN where it failed).

    A read-only mapping over `values`.

    Parameters
    ----------
    values : dict of str to numpy.ndarray
        Proxy name -> float64 array, one value per network.
    failures : list of Failure
        The (network, proxy) pairs that failed.
    seconds : dict of str to float
        Wall time per pass family over all networks (`compute_proxies`), or the seconds spent
        "building" and on "proxies", summed over workers (`measure_networks`).
    """

    values: dict[str, np.ndarray]
    failures: list[Failure] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)   # wall time per pass, all networks

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]

    def __iter__(self):
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """'auto' (CUDA when available, else CPU), 'cpu', 'cuda' or 'cuda:N'.

    Parameters
    ----------
    device : str, torch.device or None
        The device asked for (case and blanks ignored); None means 'auto'.

    Returns
    -------
    torch.device
        A CPU or an available CUDA device.

    Raises
    ------
    UserInputError
        When the device is unknown, neither CPU nor CUDA, or CUDA (or that CUDA index) is not
        available.

    Examples
    --------
    >>> resolve_device("CPU")
    device(type='cpu')
    """
    if isinstance(device, torch.device):
        chosen = device
    else:
        text = (device or "auto").strip().lower()
        if text == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        try:
            chosen = torch.device(text)
        except RuntimeError:
            raise UserInputError(f"unknown device '{device}'; use auto, cpu, cuda or cuda:N") from None
    if chosen.type not in ("cpu", "cuda"):
        raise UserInputError(f"unsupported device '{device}'; use auto, cpu, cuda or cuda:N")
    if chosen.type == "cuda":
        if not torch.cuda.is_available():
            raise UserInputError(f"device '{device}' requested but CUDA is not available")
        if chosen.index is not None and chosen.index >= torch.cuda.device_count():
            raise UserInputError(f"device '{device}' does not exist ({torch.cuda.device_count()} CUDA devices)")
    return chosen


def compute_proxies(networks: nn.Module | Iterable[nn.Module], inputs: torch.Tensor, targets: torch.Tensor,
                    names: str | Iterable[str] | None = None, device: str | torch.device | None = "auto",
                    seed: int = 0, loss_fn: Callable = F.cross_entropy, progress: bool = False,
                    ) -> ProxyResult:
    """Proxies `names` (default: all) of each network on the batch (`inputs`, `targets`).

    `networks`: a module or an iterable of modules (a generator keeps one network in memory
    at a time). `targets` are class indices. Returns a `ProxyResult` (see module docstring).

    Parameters
    ----------
    networks : torch.nn.Module or iterable of torch.nn.Module
        The networks; they are not changed (weights, buffers, grads, mode, hooks).
    inputs : torch.Tensor
        The batch (N, ...), e.g. from `load_batch`.
    targets : torch.Tensor
        N class indices.
    names : str, iterable of str or None
        Proxies to compute (see `resolve_names`); None: all.
    device : str, torch.device or None
        Where the passes run (see `resolve_device`).
    seed : int
        Each network's passes run under ``torch.manual_seed(seed)``; zen draws with `seed`.
    loss_fn : callable
        ``loss_fn(outputs, targets)`` -> scalar loss of the gradient proxies.
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    ProxyResult
        name -> float64 array in network order, NaN where a proxy failed, with `failures`
        and the wall time per pass family in `seconds`.

    Raises
    ------
    UserInputError
        When a name or the device is unknown, `inputs` is not a batched tensor, `targets` does
        not match it, or an item of `networks` is not a torch module. A failing proxy raises
        nothing: it is NaN and listed in `failures`.
    """
    chosen = resolve_names(names if names is None or isinstance(names, str) else list(names))
    groups = by_family(chosen)
    dev = resolve_device(device)
    if not isinstance(inputs, torch.Tensor) or inputs.dim() < 2:
        raise UserInputError("inputs must be a batched tensor (N, ...)")
    if not isinstance(targets, torch.Tensor) or targets.shape[0] != inputs.shape[0]:
        raise UserInputError("targets must be a tensor with one entry per input")
    x, t = inputs.to(dev), targets.to(dev)

    nets = [networks] if isinstance(networks, nn.Module) else networks
    total = len(nets) if hasattr(nets, "__len__") else None
    columns: dict[str, list[float]] = {name: [] for name in chosen}
    failures: list[Failure] = []
    seconds = {family: 0.0 for family in groups}
    for index, net in enumerate(tqdm(nets, total=total, disable=not progress, desc="proxies", unit="net")):
        if not isinstance(net, nn.Module):
            raise UserInputError(f"network {index} is a {type(net).__name__}, not a torch.nn.Module")
        row = _one_network(net, x, t, groups, dev, seed, loss_fn, seconds)
        for name in chosen:
            value = row.get(name, "not computed")
            if isinstance(value, str):
                failures.append(Failure(index, name, value))
                value = math.nan
            elif not math.isfinite(value):
                failures.append(Failure(index, name, f"non-finite value {value}"))
                value = math.nan
            columns[name].append(value)
    values = {name: np.asarray(col, dtype=np.float64) for name, col in columns.items()}
    return ProxyResult(values=values, failures=failures, seconds=seconds)


@contextlib.contextmanager
def full_precision():
    """No TF32 in cuDNN convolutions or matmuls (on by default for convolutions): jacov's
    log-determinant moved by 0.8 % on an H200 with it; CUDA then agrees with the CPU.

    Yields
    ------
    None
        The previous TF32 settings are restored on exit.
    """
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def _one_network(net, x, t, groups, dev, seed, loss_fn, seconds) -> dict[str, float | str]:
    row: dict[str, float | str] = {}
    rng_devices = [dev.index or 0] if dev.type == "cuda" else []
    with torch.random.fork_rng(devices=rng_devices), full_precision():
        torch.manual_seed(seed)
        state = None
        for family, names in groups.items():
            start = time.perf_counter()
            try:
                if family != "static" and state is None:
                    state = network_state(net, dev)     # moved to the device once per network
                if family == "static":
                    row.update(static_pass(net, x, names))
                elif family == "shared":
                    row.update(shared_pass(net, *state, x, t, names, loss_fn))
                elif family == "synflow":
                    row.update(synflow_pass(net, *state, x))
                else:
                    row.update(zen_pass(net, *state, x, seed))
            except Exception as exc:  # noqa: BLE001 -- a broken network is reported, never stops the batch
                row.update({n: f"{type(exc).__name__}: {exc}" for n in names})
            finally:
                if dev.type == "cuda":
                    torch.cuda.synchronize(dev)
                seconds[family] += time.perf_counter() - start
    return row


class Sized:
    """An iterable with a length (for the progress bar) that builds networks lazily.

    Parameters
    ----------
    iterable : iterable
        The lazy source, e.g. a generator of networks.
    length : int
        What `len()` reports.
    """

    def __init__(self, iterable, length: int):
        self.iterable, self.length = iterable, length

    def __iter__(self):
        return iter(self.iterable)

    def __len__(self) -> int:
        return self.length
