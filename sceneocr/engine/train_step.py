"""Cell-style training step (much faster in graph mode here than a functional value_and_grad step).

The wrapped network returns either a scalar loss or a tuple whose first item is the total loss
that gets differentiated; the rest (loss components for logging) pass through unchanged.

Float16 training (Ascend, GPU) needs loss scaling: :class:`LossScaledTrainStep` multiplies the
loss by a scale, divides the gradients back, and skips the update when any gradient overflowed
(with a dynamic scale, it also halves the scale then and grows it after a window of clean steps).
"""
import mindspore as ms
import mindspore.nn as nn
import mindspore.ops as ops


def _sensitivities(outputs):
    """Gradient seeds: 1 for the total loss, 0 for the logged components."""
    if isinstance(outputs, tuple):
        return (ops.ones_like(outputs[0]),) + tuple(ops.zeros_like(o) for o in outputs[1:])
    return ops.ones_like(outputs)


class TrainStep(nn.TrainOneStepCell):
    def __init__(self, network, optimizer, clip_norm=0.0):
        super().__init__(network, optimizer)
        self.clip_norm = float(clip_norm)

    def construct(self, *inputs):
        outputs = self.network(*inputs)
        grads = self.grad(self.network, self.weights)(*inputs, _sensitivities(outputs))
        grads = self.grad_reducer(grads)
        if self.clip_norm > 0:
            grads = ops.clip_by_global_norm(grads, self.clip_norm)
        self.optimizer(grads)
        return outputs


class LossScaledTrainStep(nn.TrainOneStepCell):
    """``scale_update``: ``nn.DynamicLossScaleUpdateCell`` or ``None`` for a fixed scale."""

    def __init__(self, network, optimizer, scale, scale_update=None, clip_norm=0.0):
        super().__init__(network, optimizer)
        self.clip_norm = float(clip_norm)
        self.scale = ms.Parameter(ms.Tensor(float(scale), ms.float32), name="loss_scale", requires_grad=False)
        self.scale_update = scale_update

    def construct(self, *inputs):
        outputs = self.network(*inputs)
        scale = self.scale.value()
        sens = _sensitivities(outputs)
        sens = (sens[0] * scale,) + sens[1:] if isinstance(sens, tuple) else sens * scale
        grads = self.grad(self.network, self.weights)(*inputs, sens)
        # All-reduced gradients carry any rank's inf/NaN, so every rank sees the same overflow flag.
        grads = self.grad_reducer(grads)
        grads = tuple([g / ops.cast(scale, g.dtype) for g in grads])
        finite = ops.stack([ops.isfinite(g).all() for g in grads]).all()
        overflow = ops.logical_not(finite)
        if self.scale_update is not None:
            overflow = self.scale_update(self.scale, overflow)
        if self.clip_norm > 0:
            grads = ops.clip_by_global_norm(grads, self.clip_norm)
        if not overflow:
            self.optimizer(grads)
        return outputs


def build_train_step(loss_network, optimizer, clip_norm=0.0, loss_scale="none"):
    """``loss_scale``: ``none``, ``dynamic`` (start 2**16, halve on overflow, double after 1000 clean
    steps) or a number (fixed scale, steps with overflowing gradients are skipped)."""
    if loss_scale in (None, "none", 0, 1, 1.0):
        return TrainStep(loss_network, optimizer, clip_norm)
    if loss_scale == "dynamic":
        update = nn.DynamicLossScaleUpdateCell(loss_scale_value=2.0 ** 16, scale_factor=2, scale_window=1000)
        return LossScaledTrainStep(loss_network, optimizer, 2.0 ** 16, update, clip_norm)
    try:
        value = float(loss_scale)
    except (TypeError, ValueError):
        raise ValueError(f"train.loss_scale: expected none, dynamic or a number, got {loss_scale!r}") from None
    return LossScaledTrainStep(loss_network, optimizer, value, None, clip_norm)


def count_parameters(network):
    return sum(int(p.size) for p in network.trainable_params())


def cast_inputs(*arrays):
    return tuple(ms.Tensor(a) for a in arrays)


def train_step_for(cfg, model, loss_network, optimizer, log=print):
    """The training step a config asks for: precision (``system.precision``), loss scale
    (``train.loss_scale``) and gradient clipping (``train.clip_norm``)."""
    from sceneocr.engine.precision import apply_precision, resolve_loss_scale, resolve_precision

    system, t = cfg["system"], cfg["train"]
    precision = resolve_precision(system.get("precision", "auto"), system["device_target"])
    loss_scale = resolve_loss_scale(t.get("loss_scale", "auto"), precision)
    apply_precision(model, precision)
    if precision != "float32" or loss_scale != "none":
        log(f"precision {precision}, loss scale {loss_scale}")
    step = build_train_step(loss_network, optimizer, t.get("clip_norm", 0.0), loss_scale)
    step.set_train()
    return step
