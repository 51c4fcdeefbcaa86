"""The shared pass: ONE train-mode forward of the batch serves every data-dependent proxy.

From that forward (with only the hooks the requested proxies need):
- one backward of the loss to the conv/linear weights (and, for fisher, to their outputs)
  serves grad_norm, snip, plain and fisher;
- grasp adds a Hessian-gradient product: that loss backward becomes a create_graph one (its
  gradients still serve the scores above) plus one through it (g = that gradient);
- zico takes the gradients of the two halves of the batch (two more backwards of the graph);
- ReLU codes (nwot, swap) and feature-map correlations (meco) come from the forward hooks;
- one backward of the summed outputs to the input gives the Jacobian (jacov, epe_nas).
A failing score yields a reason string instead of a value; the other scores still count.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from zcgp.proxies import activation, gradient
from zcgp.proxies.nets import Tensors, call, hooks, modes, weight_layers, weight_names

__all__ = ["shared_pass"]

GRADIENT = frozenset({"grad_norm", "snip", "plain", "fisher", "grasp", "zico"})
JACOBIAN = frozenset({"jacov", "epe_nas"})


def _reason(exc: Exception) -> str:
    """What a failed score reports instead of its value."""
    return f"{type(exc).__name__}: {exc}"


def _detached(grads) -> list:
    return [None if g is None else g.detach() for g in grads]


def _safe(fn: Callable, *args) -> float | str:
    try:
        return float(fn(*args))
    except Exception as exc:  # noqa: BLE001 -- one broken score must not take the others down
        return _reason(exc)


def shared_pass(net: nn.Module, params: Tensors, buffers: Tensors, inputs: torch.Tensor, targets: torch.Tensor,
                names: tuple[str, ...], loss_fn: Callable = F.cross_entropy) -> dict[str, float | str]:
    """Scores `names` (gradient, activation and Jacobian proxies) of `net` run with `params`
    and private copies of `buffers` (see `proxies.nets`).

    Parameters
    ----------
    net : torch.nn.Module
        The network; it is not changed.
    params : dict of str to torch.Tensor
        Its parameters on the device (`proxies.nets.network_state`).
    buffers : dict of str to torch.Tensor
        Its buffers on the device; cloned before the train-mode forward updates them.
    inputs : torch.Tensor
        The batch (N, ...) on the device.
    targets : torch.Tensor
        N class indices on the device.
    names : tuple of str
        Proxies of the "shared" family to score.
    loss_fn : callable
        ``loss_fn(outputs, targets)`` -> scalar loss.

    Returns
    -------
    dict of str to float or str
        Name -> value, or a reason string ("ExceptionType: message") where a score failed,
        in the order of `names`.
    """
    want = set(names)
    layers = weight_layers(net)
    leaves = {name: params[name].detach().requires_grad_(True) for name in dict.fromkeys(weight_names(net))}
    weights = [leaves[name] for name in weight_names(net)]
    tensors = {**params, **leaves, **{name: b.clone() for name, b in buffers.items()}}

    relu = activation.ReluCodes(nwot="nwot" in want, swap="swap" in want) if want & {"nwot", "swap"} else None
    meco = activation.FeatureCorrelations() if "meco" in want else None
    layer_calls: list[tuple[int, torch.Tensor]] = []
    x = inputs.detach().requires_grad_(True) if want & JACOBIAN else inputs
    handles: list = []
    with hooks(handles), modes(net, training=True), torch.set_grad_enabled(bool(want & (GRADIENT | JACOBIAN))):
        for collector in (relu, meco):
            if collector is not None:
                handles += collector.attach(net)
        if "fisher" in want:
            handles += [layer.register_forward_hook(
                lambda module, inp, out, index=index: layer_calls.append((index, out)))
                for index, layer in enumerate(layers)]
        y = call(net, tensors, x)

    out: dict[str, float | str] = {}
    if relu is not None:
        if "nwot" in want:
            out["nwot"] = _safe(relu.nwot_score)
        if "swap" in want:
            out["swap"] = _safe(relu.swap_score)
    if meco is not None:
        out["meco"] = _safe(meco.meco_score)
    main = want & {"grad_norm", "snip", "plain", "fisher"}
    # grasp's create_graph backward of the loss also gives the main scores their gradients
    backwards = _Backwards(bool(want & JACOBIAN) + 2 * ("zico" in want) + 2 * ("grasp" in want)
                           + bool(main and "grasp" not in want))
    # the graph is freed by the last backward: keeping it alive slows a CPU backward by ~1.5x,
    # so the cheaper, retaining ones go first and the main loss backward last
    if want & JACOBIAN:
        out.update(_jacobian_scores(want, backwards, x, y, targets))
    if want & GRADIENT:
        try:
            loss = loss_fn(y, targets)
        except Exception as exc:  # noqa: BLE001 -- reported per proxy
            return {**out, **dict.fromkeys(want & GRADIENT, _reason(exc))}
        if "zico" in want:
            out["zico"] = _safe(_zico, backwards, y, targets, loss_fn, weights)
        activations = [act for _, act in layer_calls]
        grads: list | str | None = None           # None: the main scores take their own backward
        if "grasp" in want:
            grads, out["grasp"] = _grasp(backwards, loss, weights, activations)
        if main:
            if grads is None:
                grads = _gradients(backwards, loss, weights + activations)
            out.update(_loss_gradient_scores(main, grads, weights, layer_calls))
    return {n: out[n] for n in names}


class _Backwards:
    """autograd.grad calls on one graph; the last planned call frees it."""

    def __init__(self, planned: int):
        self.left = planned

    def grad(self, output: torch.Tensor, tensors: list[torch.Tensor], create_graph: bool = False):
        self.left -= 1
        return list(torch.autograd.grad(output, tensors, retain_graph=self.left > 0 or create_graph,
                                        create_graph=create_graph, allow_unused=True))


def _gradients(backwards, loss, tensors) -> list | str:
    """dL/d`tensors` (detached), or a reason string where the backward fails."""
    try:
        return _detached(backwards.grad(loss, tensors))
    except Exception as exc:  # noqa: BLE001 -- reported per proxy
        return _reason(exc)


def _loss_gradient_scores(want, grads, weights, layer_calls) -> dict[str, float | str]:
    """grad_norm, snip, plain and fisher from dL/d[weights, layer outputs] (`grads`, or the
    reason string of a failed backward)."""
    if isinstance(grads, str):
        return {n: grads for n in want}
    activations = [act for _, act in layer_calls]
    weight_grads, act_grads = grads[:len(weights)], grads[len(weights):]
    out: dict[str, float | str] = {}
    if "grad_norm" in want:
        out["grad_norm"] = _safe(gradient.grad_norm, weight_grads)
    if "snip" in want:
        out["snip"] = _safe(gradient.snip, weights, weight_grads)
    if "plain" in want:
        out["plain"] = _safe(gradient.plain, weights, weight_grads)
    if "fisher" in want:
        fan_ins = [weights[i][0].numel() for i, _ in layer_calls]
        out["fisher"] = _safe(gradient.fisher, activations, act_grads, fan_ins)
    return out


def _grasp(backwards, loss, weights, activations) -> tuple[list | None, float | str]:
    """(dL/d[weights, activations] detached, or None where the create_graph backward fails and
    the main scores need a plain one; -w * (H g) with g = dL/dw, or its reason): one
    create_graph backward, one through the gradient graph."""
    try:
        graph_grads = backwards.grad(loss, weights + activations, create_graph=True)
    except Exception as exc:  # noqa: BLE001 -- reported per proxy
        backwards.left -= 1       # no Hessian product; the graph is still retained
        return None, _reason(exc)
    grads = _detached(graph_grads)
    z = sum((g.detach() * g).sum() for g in graph_grads[:len(weights)] if g is not None)
    if not isinstance(z, torch.Tensor) or not z.requires_grad:
        backwards.left -= 1
        return grads, 0.0
    return grads, _safe(lambda: gradient.grasp(weights, backwards.grad(z, weights)))


def _zico(backwards, y, targets, loss_fn, weights) -> float:
    half = y.shape[0] // 2
    if half < 1:
        backwards.left -= 2
        raise ValueError("zico needs a batch of at least 2 samples")
    first = backwards.grad(loss_fn(y[:half], targets[:half]), weights)
    second = backwards.grad(loss_fn(y[half:], targets[half:]), weights)
    return gradient.zico(first, second)


def _jacobian_scores(want, backwards, x, y, targets) -> dict[str, float | str]:
    try:
        (jac,) = backwards.grad(y.sum(), [x])
        if jac is None:
            raise ValueError("the output does not depend on the input")
    except Exception as exc:  # noqa: BLE001 -- reported per proxy
        return dict.fromkeys(want & JACOBIAN, _reason(exc))
    jac = jac.detach().reshape(jac.shape[0], -1)
    out: dict[str, float | str] = {}
    if "jacov" in want:
        out["jacov"] = _safe(activation.jacov, jac)
    if "epe_nas" in want:
        out["epe_nas"] = _safe(activation.epe_nas, jac, targets.detach(), y.shape[-1])
    return out
