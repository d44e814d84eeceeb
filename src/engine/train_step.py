"""Cell-style training step (much faster in graph mode here than a functional value_and_grad step).

The wrapped network returns either a scalar loss or a tuple whose first item is the total loss
that gets differentiated; the rest (loss components for logging) pass through unchanged.
"""
import mindspore as ms
import mindspore.nn as nn
import mindspore.ops as ops


class TrainStep(nn.TrainOneStepCell):
    def __init__(self, network, optimizer, clip_norm=0.0):
        super().__init__(network, optimizer)
        self.clip_norm = float(clip_norm)

    def construct(self, *inputs):
        outputs = self.network(*inputs)
        if isinstance(outputs, tuple):
            sens = (ops.ones_like(outputs[0]),) + tuple(ops.zeros_like(o) for o in outputs[1:])
        else:
            sens = ops.ones_like(outputs)
        grads = self.grad(self.network, self.weights)(*inputs, sens)
        grads = self.grad_reducer(grads)
        if self.clip_norm > 0:
            grads = ops.clip_by_global_norm(grads, self.clip_norm)
        self.optimizer(grads)
        return outputs


def count_parameters(network):
    return sum(int(p.size) for p in network.trainable_params())


def cast_inputs(*arrays):
    return tuple(ms.Tensor(a) for a in arrays)
