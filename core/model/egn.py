"""EGN: the expression generation network (DESIGN.md, "The method" 6)."""

from __future__ import annotations

import torch
from torch import nn


class EGN(nn.Module):
    """2 FC + ReLU from l_exp ⊕ m_exp (⊕ subject) to the 52 ARKit weights.

    The sigmoid keeps every weight in [0, 1], the range ARKit shape keys use.

    With `mouth_columns` and `mouth_dim`, those columns (the lower face) come from a
    second 2-FC head of their own that reads only what `forward`'s `mouth` input
    carries: the vocal stream's features (GeneratorConfig.lips_hear), so nothing in the
    accompaniment can open the mouth. The other columns read l_exp ⊕ m_exp as above.
    """

    def __init__(
        self,
        in_dim: int,
        hidden: int,
        n_expression: int,
        mouth_columns: tuple[int, ...] = (),
        mouth_dim: int = 0,
    ) -> None:
        super().__init__()
        face = [c for c in range(n_expression) if c not in set(mouth_columns)]
        self.fc1 = nn.Linear(in_dim, hidden)
        self.fc2 = nn.Linear(hidden, len(face))
        self.split = bool(mouth_columns)
        if self.split:
            self.mouth_fc1 = nn.Linear(mouth_dim, hidden)
            self.mouth_fc2 = nn.Linear(hidden, len(mouth_columns))
            # Outputs are concatenated face-then-mouth; this puts them back in ARKit order.
            order = torch.tensor(face + list(mouth_columns))
            self.inverse: torch.Tensor
            self.register_buffer("inverse", torch.argsort(order), persistent=False)

    def forward(self, x: torch.Tensor, mouth: torch.Tensor | None = None) -> torch.Tensor:
        logits = self.fc2(torch.relu(self.fc1(x)))
        if self.split:
            if mouth is None:
                raise ValueError("this EGN decodes the mouth from its own input")
            lower = self.mouth_fc2(torch.relu(self.mouth_fc1(mouth)))
            logits = torch.cat([logits, lower], dim=-1)[..., self.inverse]
        return torch.sigmoid(logits)
