"""Per-step learning-rate schedules (the optimizer indexes them by its global step, so a resumed
run continues the schedule exactly)."""
import math

import numpy as np


def warmup_cosine(base_lr, total_steps, warmup_steps=0, min_lr=0.0, warmup_start_factor=0.01):
    steps = np.arange(total_steps, dtype=np.float64)
    lr = np.empty(total_steps, dtype=np.float64)
    warm = steps < warmup_steps
    if warmup_steps:
        frac = (steps[warm] + 1) / warmup_steps
        lr[warm] = base_lr * (warmup_start_factor + (1 - warmup_start_factor) * frac)
    decay_steps = max(1, total_steps - warmup_steps)
    progress = (steps[~warm] - warmup_steps) / decay_steps
    lr[~warm] = min_lr + 0.5 * (base_lr - min_lr) * (1 + np.cos(math.pi * progress))
    return lr.astype(np.float32)


def warmup_constant(base_lr, total_steps, warmup_steps=0, warmup_start_factor=0.01):
    lr = np.full(total_steps, base_lr, dtype=np.float32)
    for step in range(min(warmup_steps, total_steps)):
        frac = (step + 1) / warmup_steps
        lr[step] = base_lr * (warmup_start_factor + (1 - warmup_start_factor) * frac)
    return lr


def build_schedule(name, base_lr, total_steps, warmup_steps=0, min_lr=0.0):
    if name == "cosine":
        return warmup_cosine(base_lr, total_steps, warmup_steps, min_lr)
    if name == "constant":
        return warmup_constant(base_lr, total_steps, warmup_steps)
    raise ValueError(f"unknown lr schedule '{name}' (use cosine or constant)")
