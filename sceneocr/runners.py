"""What runs a network at inference: NumPy batches in, NumPy arrays out, whichever engine holds the weights.

Each runner declares what it holds, so the predictors built on it ask it rather than being told from outside:

* ``backend``: ``mindspore``, ``onnxruntime`` or ``onnxruntime-int8`` (``A/B`` where some inputs fell back to B);
* ``batch_size``: the batch its graph takes (``None``: any), larger batches are run in chunks, the last padded;
* ``one_width``: whether it runs at a single input width (an exported file), so other widths cannot be asked of it;
* ``source``: the checkpoint or file it came from.
"""
import os

import numpy as np


class Runner:
    backend = "mindspore"
    batch_size = None
    one_width = False
    source = None

    def __call__(self, batch):
        raise NotImplementedError


def _as_numpy(output):
    if isinstance(output, (tuple, list)):
        return tuple(_as_numpy(o) for o in output)
    return output.asnumpy() if hasattr(output, "asnumpy") else np.asarray(output)


class MindSporeRunner(Runner):
    """A MindSpore cell: a checkpoint's inference cell, or ``nn.GraphCell`` of an exported MINDIR."""

    def __init__(self, cell, source=None, one_width=False):
        self.cell, self.source, self.one_width = cell, source, one_width

    def __call__(self, batch):
        import mindspore as ms

        return _as_numpy(self.cell(ms.Tensor(np.ascontiguousarray(batch, dtype=np.float32))))


class OnnxRunner(Runner):
    """An ONNX graph run by ONNX Runtime's CPU kernels; exported with a fixed batch and input size."""

    def __init__(self, path, backend="onnxruntime"):
        try:
            import onnxruntime
        except ImportError:
            raise ValueError(f"{path}: running ONNX models needs onnxruntime (pip install onnxruntime)") from None
        self.source, self.backend, self.one_width = path, backend, True
        self.session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0]
        self.batch_size = self.input.shape[0] if isinstance(self.input.shape[0], int) else None

    def __call__(self, batch):
        x = np.ascontiguousarray(batch, dtype=np.float32)
        n, size = len(x), self.batch_size or len(x)
        chunks = []
        for start in range(0, n, size):
            chunk = x[start:start + size]
            if len(chunk) < size:
                chunk = np.concatenate([chunk, np.repeat(chunk[-1:], size - len(chunk), axis=0)])
            chunks.append(self.session.run(None, {self.input.name: chunk}))
        outputs = tuple(np.concatenate([c[k] for c in chunks])[:n] for k in range(len(chunks[0])))
        return outputs[0] if len(outputs) == 1 else outputs


class WidthRunner(Runner):
    """A recogniser exported once per input width (ONNX shapes are fixed): ``make(width)`` gives the runner for a
    width on the first batch of that width; batches of one width at a time."""

    def __init__(self, make, backend, batch_size, source=None):
        self.make, self.backend, self.batch_size, self.source = make, backend, batch_size, source
        self.runners = {}

    def at_width(self, width):
        if width not in self.runners:
            self.runners[width] = self.make(width)
        return self.runners[width]

    def __call__(self, batch):
        return self.at_width(int(np.shape(batch)[-1]))(batch)


def as_runner(model, source=None):
    """``model`` as a :class:`Runner`: runners as they are, any other callable (a MindSpore cell) wrapped."""
    return model if isinstance(model, Runner) else MindSporeRunner(model, source)


def load_exported(path):
    """A ``.mindir`` or ``.onnx`` file as a runner."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: exported model not found")
    if path.lower().endswith(".onnx"):
        return OnnxRunner(path)
    import mindspore as ms
    import mindspore.nn as nn

    return MindSporeRunner(nn.GraphCell(ms.load(path)), source=path, one_width=True)
