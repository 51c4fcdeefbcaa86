"""Torch layers of the NAS-Bench-201 network (imported only by `spaces.nb201.build_network`).

Module layout follows the benchmark's TinyNetwork (stem, cells, ResNet reduction blocks,
lastact, global pooling, classifier) so hook-based proxies see the same modules.
"""

from __future__ import annotations

import torch
from torch import nn

from zcgp.spaces.nb201 import (
    CELLS_PER_STAGE,
    CONV1,
    CONV3,
    EDGES,
    NONE,
    POOL,
    SKIP,
    STAGE_CHANNELS,
    STEM_CHANNELS,
)


class ReLUConvBN(nn.Module):
    """ReLU -> Conv (no bias) -> BN (affine, running stats): the `nor_conv_*` op."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int, stride: int = 1, device=None):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel_size, stride=stride, padding=kernel_size // 2, bias=False, device=device),
            nn.BatchNorm2d(c_out, affine=True, track_running_stats=True, device=device),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class Pooling(nn.Module):
    """`avg_pool_3x3`: stride 1, no extra conv (channels never change inside a cell)."""

    def __init__(self):
        super().__init__()
        self.op = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class Zero(nn.Module):
    """`none`: multiplies by zero, as in the benchmark (keeps the graph connected)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


def make_op(op: int, channels: int, device=None) -> nn.Module:
    if op == CONV3:
        return ReLUConvBN(channels, channels, 3, device=device)
    if op == CONV1:
        return ReLUConvBN(channels, channels, 1, device=device)
    if op == POOL:
        return Pooling()
    if op == NONE:
        return Zero()
    if op == SKIP:
        return nn.Identity()
    raise ValueError(f"unknown op index {op}")


class Cell(nn.Module):
    """Node j = sum of edge ops over its inputs; `edges` follow `spaces.nb201.EDGES`."""

    def __init__(self, arch: tuple[int, ...], channels: int, device=None):
        super().__init__()
        self.edges = nn.ModuleList(make_op(op, channels, device) for op in arch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for target in (2, 3, 4):
            total = None
            for edge, (source, end) in enumerate(EDGES):
                if end == target:
                    out = self.edges[edge](nodes[source - 1])
                    total = out if total is None else total + out
            nodes.append(total)
        return nodes[-1]


class ResNetBasicBlock(nn.Module):
    """Stride-2 reduction: two ReLUConvBN 3x3 plus an avgpool + 1x1 conv shortcut."""

    def __init__(self, c_in: int, c_out: int, device=None):
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride=2, device=device)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, device=device)
        self.downsample = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
            nn.Conv2d(c_in, c_out, kernel_size=1, stride=1, padding=0, bias=False, device=device),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class NB201Network(nn.Module):
    """The NB201 macro skeleton around one cell; `forward` returns logits."""

    def __init__(self, arch: tuple[int, ...], num_classes: int = 10, device=None):
        super().__init__()
        self.arch = tuple(arch)
        self.num_classes = num_classes
        self.stem = nn.Sequential(
            nn.Conv2d(3, STEM_CHANNELS, kernel_size=3, padding=1, bias=False, device=device),
            nn.BatchNorm2d(STEM_CHANNELS, device=device),
        )
        cells: list[nn.Module] = []
        for stage, channels in enumerate(STAGE_CHANNELS):
            if stage:
                cells.append(ResNetBasicBlock(STAGE_CHANNELS[stage - 1], channels, device=device))
            cells.extend(Cell(self.arch, channels, device=device) for _ in range(CELLS_PER_STAGE))
        self.cells = nn.ModuleList(cells)
        last = STAGE_CHANNELS[-1]
        self.lastact = nn.Sequential(nn.BatchNorm2d(last, device=device), nn.ReLU(inplace=False))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(last, num_classes, device=device)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Feature map before global pooling."""
        x = self.stem(x)
        for cell in self.cells:
            x = cell(x)
        return self.lastact(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.global_pooling(self.forward_features(x)).flatten(1))
