"""Gradient-based scores from tensors the shared pass collected (NASLib sign and scale).

`weights[i]` and `grads[i]` are the weight and dL/dweight of the i-th conv/linear layer;
a None gradient (layer not on the loss path) contributes zero, as in NASLib.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

__all__ = ["fisher", "grad_norm", "grasp", "plain", "snip", "zico"]

Tensors = Sequence[torch.Tensor | None]


def _total(parts) -> float:
    parts = [p for p in parts if p is not None]
    return float(torch.stack(parts).sum()) if parts else 0.0


def grad_norm(grads: Tensors) -> float:
    """sum over layers of ||dL/dw||_2 (grad_norm; Abdelfattah et al. 2021).

    Parameters
    ----------
    grads : sequence of torch.Tensor or None
        dL/dweight of each conv/linear layer, None for a layer off the loss path.

    Returns
    -------
    float
        The sum of the layers' gradient 2-norms, in float64 (0.0 when none has a gradient).
    """
    return _total(g.detach().double().norm() for g in grads if g is not None)


def snip(weights: Tensors, grads: Tensors) -> float:
    """sum |w * dL/dw| (|dL/dmask| of a unit mask on the weights; SNIP, Lee et al. 2019).

    Parameters
    ----------
    weights : sequence of torch.Tensor
        The conv/linear weights, one per layer.
    grads : sequence of torch.Tensor or None
        dL/dweight of each layer, None for a layer off the loss path.

    Returns
    -------
    float
        The score (0.0 when no layer has a gradient).
    """
    return _total((w.detach() * g).abs().sum(dtype=torch.float64) for w, g in zip(weights, grads) if g is not None)


def plain(weights: Tensors, grads: Tensors) -> float:
    """sum w * dL/dw (plain; Mozer & Smolensky 1989).

    Parameters
    ----------
    weights : sequence of torch.Tensor
        The conv/linear weights, one per layer.
    grads : sequence of torch.Tensor or None
        dL/dweight of each layer, None for a layer off the loss path.

    Returns
    -------
    float
        The score (0.0 when no layer has a gradient).
    """
    return _total((w.detach() * g).sum(dtype=torch.float64) for w, g in zip(weights, grads) if g is not None)


def grasp(weights: Tensors, hessian_grads: Tensors) -> float:
    """sum -w * (H g): NASLib's sign (accuracy correlates with the negated GraSP score).

    GraSP: Wang et al. 2020; H is the Hessian of the loss, g = dL/dw.

    Parameters
    ----------
    weights : sequence of torch.Tensor
        The conv/linear weights, one per layer.
    hessian_grads : sequence of torch.Tensor or None
        H g for each layer's weight, None for a layer off the loss path.

    Returns
    -------
    float
        The score (0.0 when no layer has a Hessian-gradient product).
    """
    return _total((-w.detach() * hg).sum(dtype=torch.float64)
                  for w, hg in zip(weights, hessian_grads) if hg is not None)


def fisher(activations: Tensors, activation_grads: Tensors, fan_ins: Sequence[int]) -> float:
    """sum over layer calls and output channels k of 0.5 * mean_n (sum_hw a * dL/da)^2,
    each channel weighted by its fan-in (NASLib spreads a channel's value over its weights).

    Fisher: Turner et al. 2020 (BlockSwap).

    Parameters
    ----------
    activations : sequence of torch.Tensor
        The output a of each conv/linear layer call, (N, C, ...) or (N, C).
    activation_grads : sequence of torch.Tensor or None
        dL/da of each call, None for a call off the loss path.
    fan_ins : sequence of int
        Weights per output channel of each call's layer.

    Returns
    -------
    float
        The score in float64 (0.0 when no call has a gradient).
    """
    parts = []
    for act, grad, fan_in in zip(activations, activation_grads, fan_ins):
        if grad is None:
            continue
        product = act.detach() * grad
        per_channel = product.sum(dim=tuple(range(2, product.dim()))) if product.dim() > 2 else product
        parts.append(per_channel.double().pow(2).mean(0).mul(0.5).sum() * fan_in)
    return _total(parts)


def zico(grads_a: Tensors, grads_b: Tensors) -> float:
    """ZiCo over two gradient samples: sum over layers of log sum_w mean|g| / std(g),
    weights with zero std left out, layers whose sum is zero skipped (official code).

    ZiCo: Li et al. 2023; mean and (population) std are over the two samples per weight.

    Parameters
    ----------
    grads_a : sequence of torch.Tensor or None
        dL/dweight of each conv/linear layer on the first half of the batch.
    grads_b : sequence of torch.Tensor or None
        The same on the second half.

    Returns
    -------
    float
        The score (0.0 when no layer contributes).
    """
    total = 0.0
    for ga, gb in zip(grads_a, grads_b):
        if ga is None or gb is None:
            continue
        stacked = torch.stack([ga.detach().reshape(-1), gb.detach().reshape(-1)]).double()
        std = stacked.std(dim=0, unbiased=False)
        mean_abs = stacked.abs().mean(dim=0)
        keep = std != 0
        ratio_sum = float((mean_abs[keep] / std[keep]).sum())
        if ratio_sum != 0:
            total += math.log(ratio_sum)
    return total
