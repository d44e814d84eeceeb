"""Multi-device launching: HCCL rank tables (Ascend) and msrun (GPU, CPU).

    python -m sceneocr.launch ascend --rank_table hccl_8p.json [--bind_cores] [--dry_run] -- train.py --model crnn ...
    python -m sceneocr.launch msrun --workers 2 [--master_addr A --master_port P --nodes N --node_rank R] -- train.py ...

For Ascend every rank gets its own process, environment (RANK_TABLE_FILE, RANK_ID, DEVICE_ID,
RANK_SIZE), log file and output folder (``OUTPUT_DIR/rank_K``, made by train.py); the source tree is never copied.
The rank table is checked before anything starts. ``--dry_run`` prints the per-rank commands.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class RankTableError(ValueError):
    pass


def load_rank_table(path, expected_size=None):
    """Validate an HCCL rank table (version 1.0 layout) and return its devices in rank order as
    dicts with rank_id, device_id, device_ip and server_id."""
    if not os.path.isfile(path):
        raise RankTableError(f"{path}: rank table not found")
    try:
        with open(path, encoding="utf-8") as handle:
            table = json.load(handle)
    except (OSError, UnicodeDecodeError) as exc:
        raise RankTableError(f"{path}: cannot read rank table ({exc})") from None
    except json.JSONDecodeError as exc:
        raise RankTableError(f"{path}: malformed JSON at line {exc.lineno} ({exc.msg})") from None
    servers = table.get("server_list") if isinstance(table, dict) else None
    if not isinstance(servers, list) or not servers:
        raise RankTableError(f"{path}: no 'server_list' (expected an HCCL rank table, version 1.0)")
    devices = []
    for server in servers:
        for device in server.get("device", []) if isinstance(server, dict) else []:
            try:
                devices.append({"rank_id": int(device["rank_id"]), "device_id": int(device["device_id"]),
                                "device_ip": device.get("device_ip", ""), "server_id": server.get("server_id", "")})
            except (KeyError, TypeError, ValueError):
                raise RankTableError(f"{path}: a device entry lacks integer rank_id/device_id: {device}") from None
    if not devices:
        raise RankTableError(f"{path}: the rank table lists no devices")
    ranks = [d["rank_id"] for d in devices]
    if len(set(ranks)) != len(ranks):
        dup = sorted({r for r in ranks if ranks.count(r) > 1})
        raise RankTableError(f"{path}: duplicate rank_id {dup}")
    per_server = {}
    for d in devices:
        per_server.setdefault(d["server_id"], []).append(d["device_id"])
    for server, ids in per_server.items():
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise RankTableError(f"{path}: duplicate device_id {dup} on server {server}")
    if sorted(ranks) != list(range(len(ranks))):
        raise RankTableError(f"{path}: rank_ids must be 0..{len(ranks) - 1}, got {sorted(ranks)}")
    if expected_size is not None and len(devices) != expected_size:
        raise RankTableError(f"{path}: lists {len(devices)} devices but {expected_size} were requested")
    declared = table.get("server_count")
    if declared is not None and str(declared) != str(len(servers)):
        raise RankTableError(f"{path}: server_count {declared} but {len(servers)} servers are listed")
    return sorted(devices, key=lambda d: d["rank_id"])


def plan_ascend(rank_table, script_args, server_id=None, bind_cores=False, cores=None, log_dir="logs"):
    """Per-rank (command, environment additions, log file) for the devices of this server."""
    devices = load_rank_table(rank_table)
    local = [d for d in devices if server_id in (None, d["server_id"])]
    cores = cores or os.cpu_count() or 1
    per_rank = max(1, cores // max(1, len(local)))
    plans = []
    for index, device in enumerate(local):
        rank = device["rank_id"]
        env = {"RANK_TABLE_FILE": os.path.abspath(rank_table), "RANK_ID": str(rank),
               "DEVICE_ID": str(device["device_id"]), "RANK_SIZE": str(len(devices)),
               "HCCL_CONNECT_TIMEOUT": os.environ.get("HCCL_CONNECT_TIMEOUT", "600")}
        command = [sys.executable] + list(script_args) + ["--device_target", "Ascend", "--distributed", "true"]
        # Every rank gets the same --output_dir: train.py puts rank K's log (and, with save_all_ranks, its
        # checkpoints) in OUTPUT_DIR/rank_K, and resume=auto on every rank finds rank 0's checkpoints.
        if bind_cores:
            first = index * per_rank
            command = ["taskset", "-c", f"{first}-{first + per_rank - 1}"] + command
        plans.append((command, env, os.path.join(log_dir, f"rank_{rank}.log")))
    return plans


# msrun's console script only wraps this module; running it with this interpreter needs no `msrun` on PATH.
MSRUN = [sys.executable, "-m", "mindspore.parallel.cluster.run"]


def plan_msrun(script_args, workers, nodes=1, node_rank=0, master_addr="127.0.0.1", master_port=8118,
               log_dir="logs", device_target="CPU", bind_cores=False):
    command = MSRUN + [f"--worker_num={workers * nodes}", f"--local_worker_num={workers}",
               f"--master_addr={master_addr}", f"--master_port={master_port}", f"--node_rank={node_rank}",
               f"--log_dir={log_dir}", "--join=True"]
    if bind_cores:
        command.append("--bind_core=True")
    return command + list(script_args) + ["--device_target", device_target, "--distributed", "true"]


def msrun_environment(shim_dir, environ=None):
    """``environ`` (default: this process's) with this interpreter first on PATH.

    msrun starts the scheduler and every worker as a bare ``python SCRIPT ...`` looked up on PATH, so in a
    virtualenv that is not activated they would run another Python (or none). When this interpreter's folder
    has no ``python`` that is this interpreter (e.g. only ``python3``), a ``python`` script that runs it is
    written into ``shim_dir`` (a script, not a link: a venv's Python finds its pyvenv.cfg by the path it runs as)."""
    environ = dict(os.environ if environ is None else environ)
    folder = os.path.dirname(sys.executable)
    if not _same_file(os.path.join(folder, "python"), sys.executable):
        folder = os.path.abspath(shim_dir)
        os.makedirs(folder, exist_ok=True)
        shim = os.path.join(folder, "python")
        with open(shim, "w") as handle:
            handle.write(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} \"$@\"\n")
        os.chmod(shim, 0o755)
    environ["PATH"] = folder + (os.pathsep + environ["PATH"] if environ.get("PATH") else "")
    return environ


def _same_file(a, b):
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def describe(plans):
    lines = []
    for command, env, log in plans:
        lines.append(" ".join(f"{k}={v}" for k, v in env.items()) + " " + " ".join(shlex.quote(c) for c in command)
                     + f" > {log} 2>&1")
    return "\n".join(lines)


def run_ascend(plans):
    processes = []
    for command, env, log in plans:
        os.makedirs(os.path.dirname(os.path.abspath(log)), exist_ok=True)
        handle = open(log, "w")
        processes.append((subprocess.Popen(command, env={**os.environ, **env}, stdout=handle,
                                           stderr=subprocess.STDOUT, cwd=ROOT), handle, log))
    failed = []
    for process, handle, log in processes:
        if process.wait() != 0:
            failed.append(log)
        handle.close()
    if failed:
        print(f"error: {len(failed)} rank(s) failed; see {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    script_args = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="launcher", required=True)
    ascend = sub.add_parser("ascend", help="one process per device of an HCCL rank table")
    ascend.add_argument("--rank_table", required=True)
    ascend.add_argument("--rank_size", type=int, help="expected number of devices (checked against the table)")
    ascend.add_argument("--server_id", help="start only this server's devices (multi-server tables)")
    ascend.add_argument("--bind_cores", action="store_true", help="pin each rank to its share of CPU cores")
    ascend.add_argument("--log_dir", default="logs")
    ascend.add_argument("--dry_run", action="store_true")
    msrun = sub.add_parser("msrun", help="GPU or CPU data-parallel with MindSpore's msrun")
    msrun.add_argument("--workers", type=int, default=2, help="workers on this machine")
    msrun.add_argument("--nodes", type=int, default=1)
    msrun.add_argument("--node_rank", type=int, default=0)
    msrun.add_argument("--master_addr", default="127.0.0.1")
    msrun.add_argument("--master_port", type=int, default=8118)
    msrun.add_argument("--device_target", default="CPU", choices=("CPU", "GPU"))
    msrun.add_argument("--bind_cores", action="store_true")
    msrun.add_argument("--log_dir", default="logs")
    msrun.add_argument("--dry_run", action="store_true")
    args = parser.parse_args(argv)
    if not script_args:
        parser.error("give the training command after --, e.g. -- train.py --model crnn")
    try:
        if args.launcher == "ascend":
            load_rank_table(args.rank_table, args.rank_size)
            plans = plan_ascend(args.rank_table, script_args, args.server_id, args.bind_cores, log_dir=args.log_dir)
            if args.dry_run:
                print(describe(plans))
                return 0
            return run_ascend(plans)
        command = plan_msrun(script_args, args.workers, args.nodes, args.node_rank, args.master_addr,
                             args.master_port, args.log_dir, args.device_target, args.bind_cores)
        if args.dry_run:
            print(" ".join(shlex.quote(c) for c in command))
            return 0
        return subprocess.call(command, cwd=ROOT, env=msrun_environment(os.path.join(ROOT, args.log_dir, "python")))
    except RankTableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
