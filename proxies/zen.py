"""Zen-score (Lin et al. 2021): log E_n sum_chw |f(x) - f(x + 0.01 e)| + sum_BN log sigma_BN.

f is the feature map entering the (last) global average pooling, weights are re-drawn
Gaussian (conv/linear N(0, 1), zero bias; BN weight 1, bias 0) as private tensors, x and e
are standard-normal batches of the input's shape, BN in train mode. As in the official code
(and NASLib), sigma_BN = sqrt(mean(running_var)) after the two forwards, running statistics
reset first: this keeps a BN layer fed only zeros (a conv after a 'none' node) finite,
where the batch variance of the paper's text would give log 0.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from zcgp.proxies.nets import BATCH_NORMS, Tensors, call, hooks, modes

__all__ = ["MIXUP_GAMMA", "gaussian_state", "zen_pass", "zen_score"]

MIXUP_GAMMA = 1e-2
_POOLS = (nn.AdaptiveAvgPool2d,)


@torch.no_grad()
def gaussian_state(net: nn.Module, params: Tensors, buffers: Tensors, generator: torch.Generator) -> Tensors:
    """Private tensors for `net`: conv/linear weights N(0, 1) and zero biases, norm layers
    weight 1 and bias 0, other parameters as given, BN running statistics reset.

    Parameters
    ----------
    net : torch.nn.Module
        The network (read only, for its module structure).
    params : dict of str to torch.Tensor
        Its parameters on the device.
    buffers : dict of str to torch.Tensor
        Its buffers on the device (cloned, never written).
    generator : torch.Generator
        Draws the Gaussian weights (on the tensors' device).

    Returns
    -------
    dict of str to torch.Tensor
        State name -> private tensor, for `proxies.nets.call`.
    """
    tensors = {**params, **{name: b.clone() for name, b in buffers.items()}}
    first_name = {id(p): name for name, p in net.named_parameters()}
    for prefix, m in net.named_modules():
        if isinstance(m, BATCH_NORMS) and m.track_running_stats and m.running_var is not None:
            stem = f"{prefix}." if prefix else ""
            tensors[stem + "running_mean"].zero_()
            tensors[stem + "running_var"].fill_(1.0)
            tensors[stem + "num_batches_tracked"].zero_()
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            fill = {"weight": "normal", "bias": "zeros"}
        elif isinstance(m, (BATCH_NORMS, nn.GroupNorm)) and m.weight is not None:
            fill = {"weight": "ones", "bias": "zeros"}
        else:
            continue
        for attr, how in fill.items():
            p = getattr(m, attr, None)
            if p is None:
                continue
            name = first_name[id(p)]
            like = tensors[name]
            if how == "normal":
                tensors[name] = torch.randn(like.shape, generator=generator, device=like.device, dtype=like.dtype)
            else:
                tensors[name] = torch.ones_like(like) if how == "ones" else torch.zeros_like(like)
    return tensors


@torch.no_grad()
def zen_score(net: nn.Module, tensors: Tensors, x: torch.Tensor, mixed: torch.Tensor) -> float:
    """Zen-score of `net` run with `tensors` (updated in place: BN running statistics),
    for the clean batch `x` and the perturbed batch `mixed`.

    Parameters
    ----------
    net : torch.nn.Module
        The network; it needs an nn.AdaptiveAvgPool2d (the last one's input is f).
    tensors : dict of str to torch.Tensor
        Private state, e.g. from `gaussian_state`.
    x : torch.Tensor
        The clean batch.
    mixed : torch.Tensor
        The perturbed batch, x + `MIXUP_GAMMA` * noise.

    Returns
    -------
    float
        log E_n sum |f(x) - f(mixed)| + sum_BN log sigma_BN; -inf when the features do not
        differ.

    Raises
    ------
    ValueError
        When `net` has no nn.AdaptiveAvgPool2d.
    """
    if not any(isinstance(m, _POOLS) for m in net.modules()):
        raise ValueError("zen needs a global average pooling layer (nn.AdaptiveAvgPool2d)")
    features: list[torch.Tensor] = []
    handles: list = []
    with hooks(handles), modes(net, training=True):
        handles += [m.register_forward_hook(lambda module, inputs, output: features.append(inputs[0]))
                    for m in net.modules() if isinstance(m, _POOLS)]
        call(net, tensors, x)
        clean = features[-1]
        features.clear()
        call(net, tensors, mixed)
        perturbed = features[-1]
    delta = float((clean - perturbed).abs().flatten(1).sum(1).mean())
    log_bn = 0.0
    for prefix, m in net.named_modules():
        if isinstance(m, BATCH_NORMS) and m.track_running_stats and m.running_var is not None:
            running_var = tensors[f"{prefix}.running_var" if prefix else "running_var"]
            log_bn += 0.5 * math.log(float(running_var.double().mean()))
    return math.log(delta) + log_bn if delta > 0 else -math.inf


def zen_pass(net: nn.Module, params: Tensors, buffers: Tensors, inputs: torch.Tensor, seed: int) -> dict[str, float]:
    """Zen-score of `net` with Gaussian weights and Gaussian inputs drawn from `seed`.

    One generator seeded with `seed` draws the weights (`gaussian_state`), then x, then the
    noise e; the score is `zen_score` of x and x + `MIXUP_GAMMA` * e.

    Parameters
    ----------
    net : torch.nn.Module
        The network; it is not changed.
    params : dict of str to torch.Tensor
        Its parameters on the device.
    buffers : dict of str to torch.Tensor
        Its buffers on the device.
    inputs : torch.Tensor
        The batch; only its shape, dtype and device are used.
    seed : int
        Seed of the generator.

    Returns
    -------
    dict of str to float
        {"zen": the score}.

    Raises
    ------
    ValueError
        When `net` has no nn.AdaptiveAvgPool2d.
    """
    device = inputs.device
    generator = torch.Generator(device=device).manual_seed(seed)
    tensors = gaussian_state(net, params, buffers, generator)
    dtype = inputs.dtype if inputs.is_floating_point() else torch.float32
    x = torch.randn(inputs.shape, generator=generator, device=device, dtype=dtype)
    noise = torch.randn(inputs.shape, generator=generator, device=device, dtype=dtype)
    return {"zen": zen_score(net, tensors, x, x + MIXUP_GAMMA * noise)}
