"""Training machinery shared by every model: train-step cell, schedules, checkpoints, the loop."""
