"""SynFlow as stored in the NAS-Bench-Suite-Zero files: log of sum |w * dR/dw| over
conv/linear weights, R = sum of the outputs of the network with |weights| (float64,
BatchNorm bypassed, train mode) on a single all-ones input."""

from __future__ import annotations

import math

import torch
from torch import nn

from zcgp.proxies.nets import BATCH_NORMS, Tensors, call, hooks, modes, weight_names

__all__ = ["signed_log", "synflow_pass"]


def synflow_pass(net: nn.Module, params: Tensors, buffers: Tensors, inputs: torch.Tensor) -> dict[str, float]:
    """SynFlow of `net` from its (device) `params`/`buffers`; the network itself is not touched.

    SynFlow: Tanaka et al. 2020, as in Abdelfattah et al. 2021 (NASLib).

    Parameters
    ----------
    net : torch.nn.Module
        The network.
    params : dict of str to torch.Tensor
        Its parameters on the device (`proxies.nets.network_state`).
    buffers : dict of str to torch.Tensor
        Its buffers on the device.
    inputs : torch.Tensor
        The batch; only its shape (after the first dimension) and device are used.

    Returns
    -------
    dict of str to float
        {"synflow": `signed_log` of sum |w * dR/dw|}.
    """
    tensors = {name: _abs64(t) for name, t in {**params, **buffers}.items()}
    names = weight_names(net)
    for name in dict.fromkeys(names):
        tensors[name].requires_grad_(True)
    weights = [tensors[name] for name in names]
    ones = torch.ones((1, *inputs.shape[1:]), dtype=torch.float64, device=inputs.device)
    handles: list = []
    # BN bypassed: eval mode (no batch statistics needed) and its output replaced by its input
    with hooks(handles), modes(net, training=True, eval_types=(BATCH_NORMS,)):
        handles += [m.register_forward_hook(lambda module, inp, out: inp[0])
                    for m in net.modules() if isinstance(m, BATCH_NORMS)]
        output = call(net, tensors, ones)
    grads = torch.autograd.grad(output.sum(), weights, allow_unused=True)
    total = float(sum((w.detach() * g).abs().sum() for w, g in zip(weights, grads) if g is not None))
    return {"synflow": signed_log(total)}


def _abs64(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.to(torch.float64).abs() if tensor.is_floating_point() else tensor.clone()


def signed_log(value: float) -> float:
    """NASLib's post-processing: 0 stays 0, else sign(v) * log|v| (only v >= 0 occurs here).

    Parameters
    ----------
    value : float
        The raw score.

    Returns
    -------
    float
        sign(value) * log|value|; 0, inf and NaN are returned as they are.

    Examples
    --------
    >>> signed_log(0.0), round(signed_log(math.e), 6)
    (0.0, 1.0)
    """
    if value == 0 or not math.isfinite(value):
        return value
    return math.log(value) if value > 0 else -math.log(-value)
