"""Exported models as callables: MINDIR through MindSpore's GraphCell, ONNX through onnxruntime.

Both map an image batch (a MindSpore tensor) to the network's outputs, so the detector and the
recogniser use either one exactly like the checkpoint's inference cell.
"""
import os

import numpy as np


class OnnxModel:
    """An ONNX graph exported with a fixed batch: larger batches are run in chunks, the last padded."""

    def __init__(self, path):
        try:
            import onnxruntime
        except ImportError:
            raise ValueError(f"{path}: running ONNX models needs onnxruntime (pip install onnxruntime)") from None
        self.path = path
        self.session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0]
        self.batch_size = self.input.shape[0] if isinstance(self.input.shape[0], int) else None

    def __call__(self, images):
        import mindspore as ms

        x = images.asnumpy() if hasattr(images, "asnumpy") else np.asarray(images, np.float32)
        n, size = len(x), self.batch_size or len(x)
        chunks = []
        for start in range(0, n, size):
            chunk = x[start:start + size]
            if len(chunk) < size:
                chunk = np.concatenate([chunk, np.repeat(chunk[-1:], size - len(chunk), axis=0)])
            chunks.append(self.session.run(None, {self.input.name: chunk}))
        outputs = tuple(ms.Tensor(np.concatenate([c[k] for c in chunks])[:n]) for k in range(len(chunks[0])))
        return outputs[0] if len(outputs) == 1 else outputs


def load_exported(path):
    """A ``.mindir`` or ``.onnx`` file as a callable on image batches."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: exported model not found")
    if path.lower().endswith(".onnx"):
        return OnnxModel(path)
    import mindspore as ms
    import mindspore.nn as nn

    return nn.GraphCell(ms.load(path))
