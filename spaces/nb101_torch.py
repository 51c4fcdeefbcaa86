"""Torch layers of the NAS-Bench-101 network (imported only by `NB101Space.build`).

Stem 3x3 conv-BN-ReLU (128 channels), 3 stacks of 3 cells, 2x2 max-pool and channel
doubling between stacks, global average pooling and a linear classifier. In a cell, the
input reaches a vertex through a 1x1 conv-BN-ReLU projection, vertices sum their inputs
(truncating one extra channel when needed) and the output concatenates its predecessors
(plus the projected input when the input feeds the output directly).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from zcgp.spaces.nb101 import (
    CELLS_PER_STACK,
    CONV1,
    CONV3,
    STACKS,
    STEM_CHANNELS,
    vertex_channels,
)


class ConvBnRelu(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel_size: int):
        super().__init__(nn.Conv2d(c_in, c_out, kernel_size, padding=kernel_size // 2, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=False))


def _vertex_op(op: int, channels: int) -> nn.Module:
    if op == CONV3:
        return ConvBnRelu(channels, channels, 3)
    if op == CONV1:
        return ConvBnRelu(channels, channels, 1)
    return nn.MaxPool2d(3, stride=1, padding=1)


class Cell(nn.Module):
    def __init__(self, matrix: np.ndarray, ops: tuple[int, ...], c_in: int, c_out: int):
        super().__init__()
        self.matrix = np.asarray(matrix, dtype=bool)
        n = len(ops)
        self.channels = vertex_channels(c_in, c_out, self.matrix.astype(int))
        self.vertex_ops = nn.ModuleList([nn.Identity()] + [_vertex_op(ops[v], self.channels[v])
                                                           for v in range(1, n - 1)])
        self.projections = nn.ModuleDict({str(v): ConvBnRelu(c_in, self.channels[v], 1)
                                          for v in range(1, n) if self.matrix[0, v]})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = self.matrix.shape[0]
        states = [x]
        for v in range(1, n - 1):
            width = self.channels[v]
            inputs = [states[s][:, :width] for s in range(1, v) if self.matrix[s, v]]
            if self.matrix[0, v]:
                inputs.append(self.projections[str(v)](x))
            states.append(self.vertex_ops[v](sum(inputs)))
        outputs = [states[s] for s in range(1, n - 1) if self.matrix[s, n - 1]]
        if not outputs:
            return self.projections[str(n - 1)](x)
        out = outputs[0] if len(outputs) == 1 else torch.cat(outputs, 1)
        if self.matrix[0, n - 1]:
            out = out + self.projections[str(n - 1)](x)
        return out


class NB101Network(nn.Module):
    def __init__(self, matrix: np.ndarray, ops: tuple[int, ...], num_classes: int = 10):
        super().__init__()
        layers: list[nn.Module] = [ConvBnRelu(3, STEM_CHANNELS, 3)]
        c_in = c_out = STEM_CHANNELS
        for stack in range(STACKS):
            if stack:
                layers.append(nn.MaxPool2d(2, stride=2))
                c_out *= 2
            for _ in range(CELLS_PER_STACK):
                layers.append(Cell(matrix, ops, c_in, c_out))
                c_in = c_out
        self.layers = nn.Sequential(*layers)
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_out, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.global_pooling(self.layers(x)).flatten(1))
