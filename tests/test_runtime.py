"""The CPU convolution fix: setup_run must make oneDNN use the AVX2 JIT kernels, not the reference
convolution it picks for NCHW on AVX-512, and must leave a user's own choice alone."""
import os
import subprocess
import sys

from conftest import ROOT

PROGRAM = """
import sys
sys.path.insert(0, {root!r})
from sceneocr.runtime import setup_run
setup_run("CPU")
import os, numpy as np, mindspore as ms, mindspore.nn as nn
conv = nn.Conv2d(32, 32, 3, pad_mode="pad", padding=1)
conv(ms.Tensor(np.ones((1, 32, 4, 8), np.float32))).asnumpy()
print("ISA_VARIABLE", os.environ.get("ONEDNN_MAX_CPU_ISA"))
"""


def run_probe(extra_env):
    env = {k: v for k, v in os.environ.items() if k != "ONEDNN_MAX_CPU_ISA"}
    env.update(extra_env, ONEDNN_VERBOSE="1")
    out = subprocess.run([sys.executable, "-c", PROGRAM.format(root=ROOT)], env=env, capture_output=True,
                         text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_setup_run_selects_avx2_jit_convolution():
    stdout = run_probe({})
    isa = [line for line in stdout.splitlines() if ",info,cpu,isa:" in line]
    convs = [line for line in stdout.splitlines() if ",exec,cpu,convolution," in line]
    assert "ISA_VARIABLE AVX2" in stdout
    assert isa and "AVX2" in isa[0] and "AVX-512" not in isa[0], isa
    assert convs, "no convolution was executed through oneDNN"
    implementation = convs[0].split(",")[6]
    assert "ref" not in implementation, f"reference convolution selected: {implementation}"


def test_setup_run_keeps_a_user_setting():
    stdout = run_probe({"ONEDNN_MAX_CPU_ISA": "AVX"})
    assert "ISA_VARIABLE AVX\n" in stdout
    isa = [line for line in stdout.splitlines() if ",info,cpu,isa:" in line]
    assert isa and "AVX2" not in isa[0]
