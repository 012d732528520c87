"""EGN: the expression generation network (DESIGN.md, "The method" 6)."""

from __future__ import annotations

import torch
from torch import nn


class EGN(nn.Module):
    """2 FC + ReLU from l_exp ⊕ m_exp (⊕ subject) to the 52 ARKit weights.

    The sigmoid keeps every weight in [0, 1], the range ARKit shape keys use.
    """

    def __init__(self, in_dim: int, hidden: int, n_expression: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_dim, hidden)
        self.fc2 = nn.Linear(hidden, n_expression)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.fc2(torch.relu(self.fc1(x))))
