"""Data sink: the device pulls batches from a queue and runs several training steps per call from
Python, instead of Python handing it one batch per step. MindSpore offers it on Ascend (and GPU
builds); ``auto`` turns it on for Ascend only, as the model zoo's scripts did.

The trainer keeps its exact step semantics with a sink: a call runs ``sink_size`` steps, and
``sink_size`` is reduced to a divisor of every step count the run acts on (log, save, validate,
epoch length, max steps, and the step it resumes from), so checkpoints, validations and epoch ends
still fall on the same steps as without a sink.
"""
import math


def resolve_sink_size(value, device_target, log_every):
    """``train.data_sink``: ``auto`` (Ascend: ``log_every`` steps per call; elsewhere off), ``false``/0
    (off), ``true`` (``log_every`` steps per call) or a number of steps per call. Returns 0 for off."""
    if value in (None, "auto"):
        return int(log_every) if device_target == "Ascend" else 0
    if value is False or value in ("false", "off", "none"):
        return 0
    if value is True or value in ("true", "on"):
        value = log_every
    try:
        size = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"train.data_sink: expected auto, false or a number of steps, got {value!r}") from None
    if size < 0:
        raise ValueError(f"train.data_sink: the number of steps per call must be positive, got {size}")
    if size > 0 and device_target not in ("Ascend", "GPU"):
        raise ValueError(f"train.data_sink: MindSpore sinks data on Ascend and GPU only, not {device_target}; "
                         f"set train.data_sink: false")
    return size


def aligned_sink_size(sink_size, *step_counts):
    """The largest divisor of ``sink_size`` that also divides every non-zero count."""
    size = sink_size
    for count in step_counts:
        if count:
            size = math.gcd(size, int(count))
    return max(1, size)


class LoaderBatches:
    """``count`` batches from (epoch, start_step) on, epoch after epoch, as tuples of NumPy arrays:
    the source a sink dataset reads, sized so MindSpore need not iterate it to learn its length."""

    def __init__(self, loader, to_arrays, epoch, start_step, count, num_inputs=3):
        self.loader, self.to_arrays = loader, to_arrays
        self.epoch, self.start_step, self.count = epoch, start_step, count
        self.num_inputs = num_inputs  # arrays per batch

    def __len__(self):
        return self.count

    def __iter__(self):
        epoch, start, produced = self.epoch, self.start_step, 0
        while produced < self.count:
            for batch in self.loader.epoch(epoch, start):
                yield self.to_arrays(batch)
                produced += 1
                if produced == self.count:
                    return
            epoch, start = epoch + 1, 0


def sink_dataset(batches, num_inputs):
    """A ``mindspore.dataset`` reading ``batches`` (tuples of ``num_inputs`` arrays) in order."""
    import mindspore.dataset as ds

    return ds.GeneratorDataset(batches, [f"input{i}" for i in range(num_inputs)], shuffle=False)


def mindspore_sink(step_cell, batches, sink_size, num_inputs=None):
    """A function that runs ``sink_size`` training steps per call on batches the device pulls itself;
    it returns the last step's outputs. ``num_inputs``: arrays per batch (default: ``batches.num_inputs``)."""
    import mindspore as ms

    num_inputs = num_inputs or getattr(batches, "num_inputs", 3)
    return ms.data_sink(step_cell, sink_dataset(batches, num_inputs), sink_size=sink_size,
                        jit_config=ms.JitConfig())
