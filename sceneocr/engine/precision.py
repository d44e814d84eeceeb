"""Numeric precision of training: float16 with loss scaling on Ascend (the published setting),
float32 elsewhere. The CPU has no float16 convolution kernels, so asking for it there is an error."""

PRECISIONS = ("auto", "float32", "float16")


def resolve_precision(value, device_target):
    value = value or "auto"
    if value not in PRECISIONS:
        raise ValueError(f"system.precision: expected one of {', '.join(PRECISIONS)}, got {value!r}")
    if value == "auto":
        return "float16" if device_target == "Ascend" else "float32"
    if value == "float16" and device_target == "CPU":
        raise ValueError("system.precision float16 is for Ascend and GPU; the CPU backend trains in float32")
    return value


def resolve_loss_scale(value, precision):
    """``auto``: a dynamic loss scale with float16, none with float32."""
    if value in (None, "auto"):
        return "dynamic" if precision == "float16" else "none"
    return value


def apply_precision(network, precision):
    """Float16 compute with float32 batch norm and float32 outputs (MindSpore's amp level O2)."""
    if precision == "float16":
        import mindspore as ms

        ms.amp.auto_mixed_precision(network, "O2")
    return network
