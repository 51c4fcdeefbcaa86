"""Running a caller's network without changing it.

Passes never write to the caller's module: they call it functionally
(`torch.func.functional_call`) with their own tensors in place of its parameters and
buffers (train-mode BN then updates those private buffers), set train/eval mode only for
the duration of a pass, and remove their hooks. So a network's state must live in its
parameters and buffers (true for ordinary modules). No deep copy is made: copying a module
costs as much as a third of a batch-64 forward on CPU.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
from torch import nn

__all__ = ["BATCH_NORMS", "WEIGHT_LAYERS", "Tensors", "call", "hooks", "is_relu", "model_device", "modes",
           "network_state", "weight_layers", "weight_names"]

# layers whose weights the weight-based proxies score (NASLib: Conv2d and Linear)
WEIGHT_LAYERS = (nn.Conv2d, nn.Linear)
BATCH_NORMS = nn.modules.batchnorm._BatchNorm

Tensors = dict[str, torch.Tensor]


def weight_layers(net: nn.Module) -> list[nn.Module]:
    """The conv/linear layers (`WEIGHT_LAYERS`) of `net`, in `net.modules()` order.

    Parameters
    ----------
    net : torch.nn.Module
        The network.

    Returns
    -------
    list of torch.nn.Module
        The layers whose weights the weight-based proxies score.
    """
    return [m for m in net.modules() if isinstance(m, WEIGHT_LAYERS)]


def weight_names(net: nn.Module) -> list[str]:
    """State names of the conv/linear weights, in `weight_layers` order (tied weights repeat).

    Parameters
    ----------
    net : torch.nn.Module
        The network.

    Returns
    -------
    list of str
        The `named_parameters` name of each layer's weight (a tied weight's first name).
    """
    first_name = {id(p): name for name, p in net.named_parameters()}
    return [first_name[id(m.weight)] for m in weight_layers(net)]


def network_state(net: nn.Module, device: torch.device) -> tuple[Tensors, Tensors]:
    """(parameters, buffers) detached and on `device`; on the same device they share storage
    with the network, so passes must not write to them in place (buffers: clone first).

    Parameters
    ----------
    net : torch.nn.Module
        The network.
    device : torch.device
        Where the passes run.

    Returns
    -------
    tuple of (dict, dict)
        Parameter name -> tensor and buffer name -> tensor.
    """
    params = {name: p.detach().to(device) for name, p in net.named_parameters()}
    buffers = {name: b.detach().to(device) for name, b in net.named_buffers()}
    return params, buffers


def call(net: nn.Module, tensors: Tensors, x: torch.Tensor) -> torch.Tensor:
    """`net(x)` with `tensors` standing in for its parameters and buffers.

    Parameters
    ----------
    net : torch.nn.Module
        The network (its own tensors are not used where `tensors` has a name).
    tensors : dict of str to torch.Tensor
        State name -> tensor; names it lacks fall back to the network's own.
    x : torch.Tensor
        The input batch.

    Returns
    -------
    torch.Tensor
        The network's output.
    """
    return torch.func.functional_call(net, tensors, (x,), strict=False)


@contextmanager
def modes(net: nn.Module, training: bool, eval_types: tuple[type, ...] = ()):
    """Temporarily put every module in train (or eval) mode, `eval_types` in eval mode.

    Parameters
    ----------
    net : torch.nn.Module
        The network.
    training : bool
        Train (True) or eval (False) mode for every module.
    eval_types : tuple of type
        Module types kept in eval mode even when `training`.

    Yields
    ------
    torch.nn.Module
        `net`; every module's previous mode is restored on exit.
    """
    saved = [(m, m.training) for m in net.modules()]
    try:
        for m in net.modules():
            m.training = training and not isinstance(m, eval_types)
        yield net
    finally:
        for m, flag in saved:
            m.training = flag


@contextmanager
def hooks(handles: list):
    """Remove the given hook handles on exit.

    Parameters
    ----------
    handles : list
        Hook handles; the list may be extended inside the block.

    Yields
    ------
    list
        `handles`; every handle in it is removed on exit, also after an error.
    """
    try:
        yield handles
    finally:
        for h in handles:
            h.remove()


def model_device(net: nn.Module) -> torch.device:
    """The device of the network's first parameter or buffer.

    Parameters
    ----------
    net : torch.nn.Module
        The network.

    Returns
    -------
    torch.device
        That device, or the CPU for a network without tensors.
    """
    for tensor in (*net.parameters(), *net.buffers()):
        return tensor.device
    return torch.device("cpu")


def is_relu(module: nn.Module) -> bool:
    """torch's ReLU-family modules (what NASLib's nwot hooks: 'ReLU' in the class name).

    Parameters
    ----------
    module : torch.nn.Module
        Any module.

    Returns
    -------
    bool
        True for a torch.nn class with 'ReLU' in its name (ReLU, ReLU6, LeakyReLU, ...).
    """
    kind = type(module)
    return kind.__module__.startswith("torch.nn") and "ReLU" in kind.__name__
