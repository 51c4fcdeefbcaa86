"""Data-free proxies: params, flops (one hooked batch-1 forward) and l2_norm.

params and flops follow the tensorwatch model statistics NASLib used for the
NAS-Bench-Suite-Zero files: every leaf module that runs counts once (its last call),
a multiply-accumulate is one FLOP, results are in millions.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from zcgp.proxies.nets import hooks, model_device, modes, weight_layers

__all__ = ["l2_norm", "module_flops", "params_and_flops", "static_pass"]

_RELUS = (nn.ReLU, nn.ReLU6, nn.PReLU, nn.ELU, nn.LeakyReLU)


def module_flops(module: nn.Module, inp: torch.Tensor, out: torch.Tensor) -> int:
    """FLOPs of one call (tensorwatch/torchstat rules; unsupported modules count 0).

    Parameters
    ----------
    module : torch.nn.Module
        A leaf module: Conv2d, BatchNorm2d, (Adaptive)Avg/MaxPool2d, ReLU-like, Upsample or
        Linear are counted.
    inp : torch.Tensor
        Its (first) input.
    out : torch.Tensor
        Its output.

    Returns
    -------
    int
        FLOPs of the call, a multiply-accumulate counted as one.
    """
    if isinstance(module, nn.Conv2d):
        k_h, k_w = module.kernel_size
        per_position = k_h * k_w * inp.shape[1] * (out.shape[1] // module.groups)
        positions = out.shape[0] * out.shape[2] * out.shape[3]
        bias = out.shape[1] * positions if module.bias is not None else 0
        return per_position * positions + bias
    if isinstance(module, nn.BatchNorm2d):
        return inp.numel() * (2 if module.affine else 1)
    if isinstance(module, (nn.AvgPool2d, nn.MaxPool2d)):
        k = _pair(module.kernel_size)
        s, p = _pair(module.stride), _pair(module.padding)
        out_w = math.floor((inp.shape[3] + 2 * p[0] - k[0]) / s[0] + 1)
        out_h = math.floor((inp.shape[2] + 2 * p[1] - k[1]) / s[0] + 1)
        return inp.shape[0] * inp.shape[1] * out_w * out_h * k[0] * k[1]
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        return _adaptive_pool_flops(inp, out)
    if isinstance(module, _RELUS):
        return inp.numel()
    if isinstance(module, nn.Upsample):
        return inp.shape[0] * math.prod(out[0].shape[1:])
    if isinstance(module, nn.Linear):
        return inp.numel() * out.shape[-1]
    return 0


def _pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


def _adaptive_pool_flops(inp: torch.Tensor, out: torch.Tensor) -> int:
    n, c, h, w = inp.shape
    oh, ow = out.shape[2], out.shape[3]
    rows = sum(math.ceil((i + 1) * h / oh) - math.floor(i * h / oh) + 1 for i in range(oh))
    cols = sum(math.ceil((j + 1) * w / ow) - math.floor(j * w / ow) + 1 for j in range(ow))
    return n * c * rows * cols


@torch.no_grad()
def params_and_flops(net: nn.Module, sample: torch.Tensor) -> tuple[float, float]:
    """(millions of parameters, millions of FLOPs) from one eval-mode forward of a zero input
    shaped like `sample[:1]`, on the network's own device (eval mode changes no state).

    Parameters
    ----------
    net : torch.nn.Module
        The network; its mode and hooks are restored afterwards.
    sample : torch.Tensor
        A batch whose shape (after the first dimension) and dtype the zero input takes.

    Returns
    -------
    tuple of (float, float)
        Parameters of the leaf modules that ran, and their FLOPs (each counted at its last
        call), both in millions.
    """
    stats: dict[int, tuple[int, int]] = {}

    def hook(module, inputs, output):
        tensors = [t for t in inputs if isinstance(t, torch.Tensor)]
        outs = output if isinstance(output, torch.Tensor) else next(
            (t for t in output if isinstance(t, torch.Tensor)), None)
        if not tensors or outs is None:
            return
        params = sum(p.numel() for p in module.parameters(recurse=False))
        stats[id(module)] = (params, module_flops(module, tensors[0], outs))

    leaves = [m for m in net.modules() if not any(True for _ in m.children())]
    handles: list = []
    with hooks(handles), modes(net, training=False):
        handles += [m.register_forward_hook(hook) for m in leaves]
        net(torch.zeros((1, *sample.shape[1:]), dtype=sample.dtype, device=model_device(net)))
    params = sum(p for p, _ in stats.values())
    flops = sum(f for _, f in stats.values())
    return params / 1e6, flops / 1e6


@torch.no_grad()
def l2_norm(net: nn.Module) -> float:
    """Sum over conv/linear layers of the Frobenius norm of the weight.

    l2_norm: Abdelfattah et al. 2021.

    Parameters
    ----------
    net : torch.nn.Module
        The network.

    Returns
    -------
    float
        The sum of the weights' 2-norms.
    """
    return float(sum(float(m.weight.detach().norm()) for m in weight_layers(net)))


def static_pass(net: nn.Module, inputs: torch.Tensor, names: tuple[str, ...]) -> dict[str, float]:
    """The data-free proxies `names` (params, flops, l2_norm) of `net`.

    Parameters
    ----------
    net : torch.nn.Module
        The network; params and flops run their forward on its own device.
    inputs : torch.Tensor
        The batch; only its shape and dtype are used.
    names : tuple of str
        Proxies of the "static" family.

    Returns
    -------
    dict of str to float
        Name -> value, in the order of `names`.
    """
    out: dict[str, float] = {}
    if "params" in names or "flops" in names:
        out["params"], out["flops"] = params_and_flops(net, inputs)
    if "l2_norm" in names:
        out["l2_norm"] = l2_norm(net)
    return {n: out[n] for n in names}
