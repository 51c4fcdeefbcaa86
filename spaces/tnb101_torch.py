"""Torch layers of the TransNAS-Bench-101 networks (imported only by the spaces' `build`).

Encoder: a stride-2 3x3 conv-BN to 32 channels, a stride-2 ReLU-conv-BN to 64, then the
blocks (micro cells or basic residual blocks); head: global average pooling + linear.
"""

from __future__ import annotations

import torch
from torch import nn

from zcgp.spaces.tnb101 import BASE_CHANNELS, CONV3, MICRO_EDGES, NONE, SKIP


class ReLUConvBN(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, k: int, stride: int = 1):
        super().__init__(nn.ReLU(inplace=False),
                         nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2, bias=False),
                         nn.BatchNorm2d(c_out))


class Zero(nn.Module):
    """`none`: zeros of the output shape."""

    def __init__(self, c_out: int, stride: int):
        super().__init__()
        self.c_out, self.stride = c_out, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] == self.c_out:
            return x[:, :, ::self.stride, ::self.stride].mul(0.0)
        n, _, h, w = x.shape
        return x.new_zeros(n, self.c_out, (h + 1) // self.stride, (w + 1) // self.stride)


class FactorizedReduce(nn.Module):
    """skip_connect across a change of shape: two 1x1 convs (one on the input shifted by a
    pixel), concatenated, then BN."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.convs = nn.ModuleList([nn.Conv2d(c_in, c_out // 2, 1, stride=stride, bias=False),
                                    nn.Conv2d(c_in, c_out - c_out // 2, 1, stride=stride, bias=False)])
        self.pad = nn.ConstantPad2d((0, 1, 0, 1), 0.0)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        shifted = self.pad(x)[:, :, 1:, 1:]
        return self.bn(torch.cat([self.convs[0](x), self.convs[1](shifted)], dim=1))


def _edge(op: int, c_in: int, c_out: int, stride: int) -> nn.Module:
    if op == NONE:
        return Zero(c_out, stride)
    if op == SKIP:
        return nn.Identity() if stride == 1 and c_in == c_out else FactorizedReduce(c_in, c_out, stride)
    return ReLUConvBN(c_in, c_out, 3 if op == CONV3 else 1, stride)


class MicroCell(nn.Module):
    def __init__(self, ops, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.edges = nn.ModuleList(_edge(op, c_in, c_out, stride) if source == 0 else _edge(op, c_out, c_out, 1)
                                   for op, (source, _) in zip(ops, MICRO_EDGES))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for target in (1, 2, 3):
            nodes.append(sum(self.edges[e](nodes[s]) for e, (s, t) in enumerate(MICRO_EDGES) if t == target))
        return nodes[-1]


class BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride)
        self.conv_b = ReLUConvBN(c_out, c_out, 3)
        self.downsample = (nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))
                           if stride != 1 or c_in != c_out else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x if self.downsample is None else self.downsample(x)
        return residual + self.conv_b(self.conv_a(x))


class TransNASNetwork(nn.Module):
    def __init__(self, blocks, num_classes: int):
        super().__init__()
        half = BASE_CHANNELS // 2
        self.stem = nn.Sequential(nn.Conv2d(3, half, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(half),
                                  ReLUConvBN(half, BASE_CHANNELS, 3, 2))
        self.blocks = nn.Sequential(*(MicroCell(ops, c_in, c_out, stride) if kind == "micro"
                                      else BasicBlock(c_in, c_out, stride)
                                      for kind, ops, c_in, c_out, stride in blocks))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(blocks[-1][3], num_classes)
        for m in self.modules():               # the benchmark's initialisation
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.global_pooling(self.blocks(self.stem(x))).flatten(1))
