"""Gradient-based scores from tensors the shared pass collected (NASLib sign and scale).

`weights[i]` and `grads[i]` are the weight and dL/dweight of the i-th conv/linear layer;
a None gradient (layer not on the loss path) contributes zero, as in NASLib.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

Tensors = Sequence[torch.Tensor | None]


def _total(parts) -> float:
    parts = [p for p in parts if p is not None]
    return float(torch.stack(parts).sum()) if parts else 0.0


def grad_norm(grads: Tensors) -> float:
    """sum over layers of ||dL/dw||_2."""
    return _total(g.detach().double().norm() for g in grads if g is not None)


def snip(weights: Tensors, grads: Tensors) -> float:
    """sum |w * dL/dw| (|dL/dmask| of a unit mask on the weights)."""
    return _total((w.detach() * g).abs().sum(dtype=torch.float64) for w, g in zip(weights, grads) if g is not None)


def plain(weights: Tensors, grads: Tensors) -> float:
    """sum w * dL/dw."""
    return _total((w.detach() * g).sum(dtype=torch.float64) for w, g in zip(weights, grads) if g is not None)


def grasp(weights: Tensors, hessian_grads: Tensors) -> float:
    """sum -w * (H g): NASLib's sign (accuracy correlates with the negated GraSP score)."""
    return _total((-w.detach() * hg).sum(dtype=torch.float64)
                  for w, hg in zip(weights, hessian_grads) if hg is not None)


def fisher(activations: Tensors, activation_grads: Tensors, fan_ins: Sequence[int]) -> float:
    """sum over layer calls and output channels k of 0.5 * mean_n (sum_hw a * dL/da)^2,
    each channel weighted by its fan-in (NASLib spreads a channel's value over its weights)."""
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
    weights with zero std left out, layers whose sum is zero skipped (official code)."""
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
