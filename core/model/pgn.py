"""PGN: the pose generation network, speed and direction apart (DESIGN.md, "The method" 6).

    s_t = |MLP(l ⊕ m)|
    v_{t-1} = p_{t-1} − p_{t-2}
    o_t = LSTM(l ⊕ m ⊕ p_{t-1} ⊕ v_{t-1})
    d_t = tanh(FC(o_t))
    p_t = p_{t-1} + s_t ⊙ d_t

The rollout is autoregressive and causal: p_t depends on audio up to frame t only
(through l ⊕ m, which the caller computes). Poses are in normalised units
(pose / per-dimension scale of the training set); the generator rescales them.
"""

from __future__ import annotations

import math

import torch
from torch import nn

# (p_{t-2}, p_{t-1}, h, c) of the direction LSTM between two frames.
PGNState = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


class PoseMLP(nn.Module):
    """The ablations' pose head (`single-stream`, `two-stream`, `with-atm`): 2 FC + ReLU."""

    def __init__(self, in_dim: int, hidden: int, pose_dim: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_dim, hidden)
        self.fc2 = nn.Linear(hidden, pose_dim)

    def forward(self, x: torch.Tensor, initial: torch.Tensor | None = None) -> torch.Tensor:
        return self.fc2(torch.relu(self.fc1(x)))


class PGN(nn.Module):
    """Task features (B, T, in_dim), [p_{-2}, p_{-1}] (B, 2, pose_dim) → poses (B, T, pose_dim)."""

    def __init__(self, in_dim: int, hidden: int, lstm_hidden: int, pose_dim: int) -> None:
        super().__init__()
        self.speed_fc1 = nn.Linear(in_dim, hidden)
        self.speed_fc2 = nn.Linear(hidden, pose_dim)
        # The LSTM's input weights are split: the audio part is projected for all
        # frames at once, only the pose/velocity and recurrent parts run per step.
        # That is the same LSTM, just cheap enough to roll out 7,200 frames on a CPU.
        h = lstm_hidden
        self.lstm_hidden = h
        self.weight_audio = nn.Parameter(torch.empty(4 * h, in_dim))
        self.weight_state = nn.Parameter(torch.empty(4 * h, 2 * pose_dim + h))
        self.bias = nn.Parameter(torch.zeros(4 * h))
        bound = 1.0 / math.sqrt(h)
        nn.init.uniform_(self.weight_audio, -bound, bound)
        nn.init.uniform_(self.weight_state, -bound, bound)
        with torch.no_grad():
            self.bias[h : 2 * h].fill_(1.0)  # forget-gate bias 1: remember by default
        self.direction_fc = nn.Linear(h, pose_dim)

    def speed(self, x: torch.Tensor) -> torch.Tensor:
        return torch.abs(self.speed_fc2(torch.relu(self.speed_fc1(x))))

    def forward(self, x: torch.Tensor, initial: torch.Tensor | None = None) -> torch.Tensor:
        b, t, _ = x.shape
        pose_dim = self.direction_fc.out_features
        if initial is None:
            initial = x.new_zeros(b, 2, pose_dim)  # the rest pose, at rest
        s = self.speed(x)
        audio_gates = torch.nn.functional.linear(x, self.weight_audio, self.bias)
        state = self.initial_state(initial)
        poses = []
        for step in range(t):
            state = self.step(s[:, step], audio_gates[:, step], state)
            poses.append(state[1])
        return torch.stack(poses, dim=1)

    def initial_state(self, initial: torch.Tensor) -> PGNState:
        """[p_{-2}, p_{-1}] (B, 2, pose_dim) → the rollout's state before frame 0."""
        h = initial.new_zeros(initial.shape[0], self.lstm_hidden)
        return initial[:, 0], initial[:, 1], h, torch.zeros_like(h)

    def step(self, s: torch.Tensor, audio_gates: torch.Tensor, state: PGNState) -> PGNState:
        """One frame of the rollout: speed s_t (B, pose_dim) and the audio part of the
        LSTM gates (B, 4h) of that frame → the next state (p_{t-1}, p_t, h_t, c_t). The
        live engine (core/live/) rolls the same recurrence out a frame at a time."""
        p_prev2, p_prev, h, c = state
        v_prev = p_prev - p_prev2
        gates = audio_gates + torch.cat([p_prev, v_prev, h], dim=1) @ self.weight_state.t()
        i, f, g, o = gates.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        d = torch.tanh(self.direction_fc(h))
        return p_prev, p_prev + s * d, h, c
