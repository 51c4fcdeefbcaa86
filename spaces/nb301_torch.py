"""Torch layers of the DARTS / NAS-Bench-301 network (imported only by `NB301Space.build`).

The network the NAS-Bench-Suite-Zero values were computed on (NASLib's DARTS graph with
C=32): stem 3x3 conv-BN (96 channels), 8 cells with reductions at cells 2 and 5, 1x1
ReLU-conv-BN preprocessing of both cell inputs (a factorized reduce after a reduction cell),
global average pooling and a linear classifier. Cell ops use BN without affine parameters;
pooling is followed by such a BN.
"""

from __future__ import annotations

import torch
from torch import nn

from zcgp.spaces.nb301 import (
    AVGPOOL,
    CHANNELS,
    DIL3,
    DIL5,
    MAXPOOL,
    NODES,
    SEP3,
    SEP5,
    SKIP,
    STEM_MULTIPLIER,
    cell_plan,
)


class ReLUConvBN(nn.Sequential):
    def __init__(self, c_in: int, c_out: int):
        super().__init__(nn.ReLU(inplace=False), nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out))


class FactorizedReduce(nn.Module):
    """Stride-2 identity substitute: two offset 1x1 stride-2 convs, concatenated, then BN."""

    def __init__(self, c_in: int, c_out: int, affine: bool = True):
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1))


def _separable(c: int, k: int, stride: int, dilation: int) -> list[nn.Module]:
    return [nn.ReLU(inplace=False),
            nn.Conv2d(c, c, k, stride=stride, padding=dilation * (k // 2), dilation=dilation, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c, affine=False)]


def make_op(op: int, c: int, stride: int) -> nn.Module:
    if op in (MAXPOOL, AVGPOOL):
        pool = (nn.MaxPool2d(3, stride=stride, padding=1) if op == MAXPOOL
                else nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False))
        return nn.Sequential(pool, nn.BatchNorm2d(c, affine=False))
    if op == SKIP:
        return nn.Identity() if stride == 1 else FactorizedReduce(c, c, affine=False)
    if op in (SEP3, SEP5):
        k = 3 if op == SEP3 else 5
        return nn.Sequential(*_separable(c, k, stride, 1), *_separable(c, k, 1, 1))
    if op in (DIL3, DIL5):
        return nn.Sequential(*_separable(c, 3 if op == DIL3 else 5, stride, 2))
    raise ValueError(f"unknown NB301 op code {op}")


class Cell(nn.Module):
    def __init__(self, pairs, c_pp: int, c_p: int, c: int, reduction: bool, reduction_prev: bool):
        super().__init__()
        self.preprocess0 = FactorizedReduce(c_pp, c) if reduction_prev else ReLUConvBN(c_pp, c)
        self.preprocess1 = ReLUConvBN(c_p, c)
        self.sources = [s for s, _ in pairs]
        self.edge_ops = nn.ModuleList(make_op(o, c, 2 if reduction and s < 2 else 1) for s, o in pairs)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for node in range(NODES):
            a, b = 2 * node, 2 * node + 1
            states.append(self.edge_ops[a](states[self.sources[a]]) + self.edge_ops[b](states[self.sources[b]]))
        return torch.cat(states[2:], dim=1)


class NB301Network(nn.Module):
    def __init__(self, cells, num_classes: int = 10):
        super().__init__()
        c_stem = STEM_MULTIPLIER * CHANNELS
        self.stem = nn.Sequential(nn.Conv2d(3, c_stem, 3, padding=1, bias=False), nn.BatchNorm2d(c_stem))
        plan = cell_plan()
        self.cells = nn.ModuleList(Cell(cells[int(red)], c_pp, c_p, c, red, prev_red)
                                   for c_pp, c_p, c, red, prev_red in plan)
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(NODES * plan[-1][2], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.classifier(self.global_pooling(s1).flatten(1))
