"""One place that prepares a run: CPU kernel fix, device, graph mode, seeds, parallel context.

Nothing here runs at import time; entry points call :func:`setup_run` first.
"""
import os
import random

import numpy as np

# On AVX-512 machines MindSpore's bundled oneDNN picks a reference (scalar) convolution for
# plain NCHW tensors: a 512->512 3x3 conv on 64x512x4x25 takes 24 s instead of 0.16 s.
# Capping the ISA at AVX2 selects the JIT gemm kernels. oneDNN reads this variable once, when
# its first primitive is created, so it must be in the environment before any convolution runs.
ONEDNN_ISA_VARIABLE = "ONEDNN_MAX_CPU_ISA"
ONEDNN_ISA_VALUE = "AVX2"


def apply_cpu_kernel_fix():
    """Set ONEDNN_MAX_CPU_ISA=AVX2 unless the user already chose a value. Returns the value in force."""
    return os.environ.setdefault(ONEDNN_ISA_VARIABLE, ONEDNN_ISA_VALUE)


def seed_everything(seed):
    import mindspore as ms

    random.seed(seed)
    np.random.seed(seed)
    ms.set_seed(seed)


def setup_run(device_target="CPU", mode="graph", seed=0, device_id=None, distributed=False,
              max_call_depth=None):
    """Configure MindSpore for a run and return a dict with rank and group size.

    ``distributed`` initialises the communication group (HCCL on Ascend, NCCL on GPU, MindSpore's
    own collective library on CPU when launched by ``msrun``) and sets data-parallel mode.
    """
    if device_target == "CPU":
        apply_cpu_kernel_fix()
    import mindspore as ms

    context = {"mode": ms.GRAPH_MODE if mode == "graph" else ms.PYNATIVE_MODE}
    if max_call_depth:
        context["max_call_depth"] = max_call_depth
    ms.set_context(**context)
    if device_id is None and "DEVICE_ID" in os.environ and not distributed:
        device_id = int(os.environ["DEVICE_ID"])
    ms.set_device(device_target, device_id)
    rank, group_size = 0, 1
    if distributed:
        from mindspore.communication import get_group_size, get_rank, init

        init()
        rank, group_size = get_rank(), get_group_size()
        ms.set_auto_parallel_context(parallel_mode=ms.ParallelMode.DATA_PARALLEL,
                                     gradients_mean=True, device_num=group_size)
    # Same seed on every rank: data-parallel training does not broadcast initial weights.
    seed_everything(seed)
    return {"rank": rank, "group_size": group_size, "device_target": device_target}
