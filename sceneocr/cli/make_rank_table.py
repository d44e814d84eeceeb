"""Write an HCCL rank table (version 1.0) for one server.

    sceneocr make-rank-table --device_ids 0,1,2,3,4,5,6,7 --server_ip 10.0.0.1 --output hccl_8p.json

Device IPs are read from /etc/hccn.conf (address_N=IP lines, as configured on Ascend servers) unless
--device_ips gives them.
"""
import argparse
import json
import os
import re
import sys


def device_ips_from_hccn(path="/etc/hccn.conf"):
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        return {int(m.group(1)): m.group(2) for m in re.finditer(r"address_(\d+)=(\S+)", handle.read())}


def make_rank_table(device_ids, server_ip, device_ips=None):
    if len(set(device_ids)) != len(device_ids):
        raise ValueError(f"duplicate device ids in {device_ids}")
    device_ips = device_ips or {}
    devices = [{"device_id": str(d), "device_ip": device_ips.get(d, f"192.168.100.{101 + d}"), "rank_id": str(r)}
               for r, d in enumerate(device_ids)]
    return {"version": "1.0", "server_count": "1",
            "server_list": [{"server_id": server_ip, "device": devices, "host_nic_ip": "reserve"}],
            "status": "completed"}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device_ids", default="0,1,2,3,4,5,6,7")
    parser.add_argument("--server_ip", required=True)
    parser.add_argument("--device_ips", help="comma-separated, one per device id (default: /etc/hccn.conf)")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    ids = [int(x) for x in args.device_ids.split(",") if x.strip()]
    ips = dict(zip(ids, args.device_ips.split(","))) if args.device_ips else device_ips_from_hccn()
    try:
        table = make_rank_table(ids, args.server_ip, ips)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump(table, handle, indent=2)
    print(f"wrote {args.output}: {len(ids)} devices on {args.server_ip}")


if __name__ == "__main__":
    main()
