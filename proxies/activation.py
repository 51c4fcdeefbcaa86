"""Activation- and Jacobian-based scores: hook collectors for the shared forward, and the
jacov / epe_nas scores of the input Jacobian (NASLib sign and scale)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from zcgp.proxies.nets import is_relu

__all__ = ["EPE_K", "JACOV_K", "FeatureCorrelations", "ReluCodes", "epe_nas", "jacov"]

JACOV_K = 1e-5
EPE_K = 1e-5
_EXACT_FLOAT32 = 2 ** 24     # 0/1 dot products below this are exact in float32


class ReluCodes:
    """Forward hooks on the ReLUs: binary codes (pre-activation > 0) per sample.

    nwot: K = sum over ReLU calls of c c^T + (1-c)(1-c)^T (NASLib hooks every torch ReLU).
    swap: per-neuron sign patterns across the batch of nn.ReLU on 4-D inputs (official code).

    nwot: Mellor et al. 2021 (v2); swap: Peng et al. 2024.

    Parameters
    ----------
    nwot : bool
        Accumulate the nwot kernel.
    swap : bool
        Collect the swap patterns.
    """

    def __init__(self, nwot: bool, swap: bool):
        self.nwot, self.swap = nwot, swap
        self.kernel: torch.Tensor | None = None
        self.patterns: list[np.ndarray] = []

    def attach(self, net: nn.Module) -> list:
        """Register the forward hook on every ReLU-family module of `net` (see `is_relu`).

        Parameters
        ----------
        net : torch.nn.Module
            The network about to run the forward.

        Returns
        -------
        list
            The hook handles; the caller removes them (`proxies.nets.hooks`).
        """
        return [m.register_forward_hook(self._hook) for m in net.modules() if is_relu(m)]

    @torch.no_grad()
    def _hook(self, module, inputs, output) -> None:
        x = inputs[0].detach()
        codes = (x > 0).flatten(1)
        if self.nwot:
            self._add_kernel(codes)
        if self.swap and isinstance(module, nn.ReLU) and x.dim() == 4:
            self.patterns.append(pack_patterns(codes))

    def _add_kernel(self, codes: torch.Tensor) -> None:
        width = codes.shape[1]
        dtype = torch.float32 if width < _EXACT_FLOAT32 else torch.float64
        c = codes.to(dtype)
        same_on = (c @ c.T).double()
        on = c.sum(1, dtype=torch.float64)
        # c c^T + (1-c)(1-c)^T == 2 c c^T + width - on_i - on_j (one matmul instead of two)
        part = 2 * same_on + width - on[:, None] - on[None, :]
        self.kernel = part if self.kernel is None else self.kernel + part

    def nwot_score(self) -> float:
        """log|det K| of the accumulated Hamming-similarity kernel (NASLib's nwot).

        Returns
        -------
        float
            The score.

        Raises
        ------
        ValueError
            When no ReLU ran (no kernel).
        """
        if self.kernel is None:
            raise ValueError("nwot needs at least one ReLU module")
        return float(torch.linalg.slogdet(self.kernel).logabsdet)

    def swap_score(self) -> float:
        """Number of distinct per-neuron activation patterns across the batch (SWAP).

        Returns
        -------
        float
            The count over the neurons of all hooked nn.ReLU calls on 4-D inputs.

        Raises
        ------
        ValueError
            When no nn.ReLU ran on a 4-D feature map.
        """
        if not self.patterns:
            raise ValueError("swap needs an nn.ReLU on 4-D feature maps")
        return float(count_distinct_columns(np.concatenate(self.patterns, axis=1)))


def pack_patterns(codes: torch.Tensor) -> np.ndarray:
    """(samples, neurons) booleans -> (bytes, neurons) uint8, 8 samples per byte.

    Parameters
    ----------
    codes : torch.Tensor
        Boolean (samples, neurons) ReLU codes.

    Returns
    -------
    numpy.ndarray
        uint8 (ceil(samples / 8), neurons), little bit order.
    """
    return np.packbits(codes.cpu().numpy(), axis=0, bitorder="little")


def count_distinct_columns(packed: np.ndarray) -> int:
    """Number of distinct columns of a packed (bytes, neurons) pattern matrix.

    Parameters
    ----------
    packed : numpy.ndarray
        uint8 (bytes, neurons), as `pack_patterns` makes.

    Returns
    -------
    int
        How many different columns (neuron patterns) it has.

    Examples
    --------
    >>> count_distinct_columns(np.array([[1, 1, 2, 0]], dtype=np.uint8))
    3
    """
    rows = packed.T
    pad = -rows.shape[1] % 8
    if pad:
        rows = np.concatenate([rows, np.zeros((rows.shape[0], pad), dtype=np.uint8)], axis=1)
    words = np.ascontiguousarray(rows).view(np.uint64)
    if words.shape[1] == 1:
        return len(np.unique(words[:, 0]))
    return len(np.unique(words.view(np.dtype((np.void, 8 * words.shape[1]))).ravel()))


class FeatureCorrelations:
    """MeCo: forward hooks on every module; for each call whose output is a feature map
    (N, C, ...), the channel correlation matrix of the first sample (NaN -> 0).

    MeCo: Jiang et al. 2023. The constructor takes no parameters.
    """

    def __init__(self):
        self.matrices: dict[int, list[torch.Tensor]] = {}

    def attach(self, net: nn.Module) -> list:
        """Register the forward hook on every module of `net`.

        Parameters
        ----------
        net : torch.nn.Module
            The network about to run the forward.

        Returns
        -------
        list
            The hook handles; the caller removes them (`proxies.nets.hooks`).
        """
        return [m.register_forward_hook(self._hook) for m in net.modules()]

    @torch.no_grad()
    def _hook(self, module, inputs, output) -> None:
        if not isinstance(output, torch.Tensor) or output.dim() < 3:
            return    # 2-D outputs give an all-NaN (-> zero) matrix in the official code: adds 0
        fmap = output[0].detach().reshape(output.shape[1], -1).double()
        self.matrices.setdefault(fmap.shape[0], []).append(correlation(fmap))

    def meco_score(self) -> float:
        """Sum over the collected matrices of their smallest eigenvalue (NaN ones skipped).

        Returns
        -------
        float
            The MeCo score; 0.0 when no feature map was seen.
        """
        total = 0.0     # no feature maps (an MLP): 0, as the official code's all-zero matrices give
        for stack in self.matrices.values():
            smallest = torch.linalg.eigvalsh(torch.stack(stack))[:, 0]
            total += float(smallest[~torch.isnan(smallest)].sum())
        return total


def correlation(rows: torch.Tensor) -> torch.Tensor:
    """Row correlation matrix like torch.corrcoef, NaN/inf entries set to 0 (MeCo).

    Parameters
    ----------
    rows : torch.Tensor
        (variables, observations), e.g. channels by positions of one feature map.

    Returns
    -------
    torch.Tensor
        (variables, variables), entries clamped to [-1, 1]; constant rows give 0.
    """
    centred = rows - rows.mean(dim=1, keepdim=True)
    cov = centred @ centred.T
    scale = cov.diagonal().sqrt()
    corr = (cov / scale[:, None] / scale[None, :]).clamp(-1, 1)
    return torch.nan_to_num(corr, nan=0.0, posinf=0.0, neginf=0.0)


def jacov(jacobian: torch.Tensor) -> float:
    """-sum(log(l + k) + 1/(l + k)) over eigenvalues l of corrcoef(per-sample Jacobians).

    jacov: Mellor et al. 2021 (v1); k = `JACOV_K`.

    Parameters
    ----------
    jacobian : torch.Tensor
        (N, ...) gradient of the summed outputs with respect to each input.

    Returns
    -------
    float
        The score.
    """
    corr = torch.corrcoef(jacobian.reshape(jacobian.shape[0], -1).double())
    values = torch.linalg.eigvalsh(corr)
    return float(-(torch.log(values + JACOV_K) + 1.0 / (values + JACOV_K)).sum())


def epe_nas(jacobian: torch.Tensor, labels: torch.Tensor, num_classes: int) -> float:
    """EPE-NAS as in NASLib: per class c, s_c = sum log(|corrcoef(J_c)| + k) (divided by the
    class size above 100 classes); score = sum_c |s_c| up to 100 classes, else
    sum_{c,c'} |s_c - s_c'| / number of classes seen. A one-sample class gives
    log(1 + k) (skipped above 100 classes, as in NASLib).

    EPE-NAS: Lopes et al. 2021; k = `EPE_K`.

    Parameters
    ----------
    jacobian : torch.Tensor
        (N, ...) gradient of the summed outputs with respect to each input.
    labels : torch.Tensor
        N class indices, or (N, classes) one-hot rows.
    num_classes : int
        Output classes of the network (chooses the rule above or below 100).

    Returns
    -------
    float
        The score.
    """
    flat = jacobian.reshape(jacobian.shape[0], -1).double()
    if labels.dim() == 2:
        labels = labels.argmax(dim=1)
    scores = []
    for label in dict.fromkeys(labels.tolist()):        # first-seen order, as NASLib
        rows = flat[labels == label]
        if len(rows) == 1:
            if num_classes > 100:
                continue
            scores.append(float(np.log(1.0 + EPE_K)))
            continue
        s = float(torch.log(torch.corrcoef(rows).abs() + EPE_K).sum())
        scores.append(s / len(rows) if num_classes > 100 else s)
    values = np.array(scores)
    if num_classes <= 100:
        return float(np.abs(values).sum())
    if not len(values):
        return 0.0
    return float(np.abs(values[:, None] - values[None, :]).sum() / len(values))
