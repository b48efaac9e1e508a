#!/usr/bin/env python3
"""Reads the fio JSON files bench/run left (LAYER.WORKLOAD.RUN.json), prints the table of medians and
writes the result JSON with the machine it ran on. Standard library only."""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess


def machine():
    def sh(*cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return ""
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "nproc": int(sh("nproc") or 0),
        "free_g": sh("free", "-g"),
        "uname_r": platform.release(),
        "cpu_model": cpu,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "fio": sh("fio", "--version"),
    }


def one_run(path):
    """bw (MiB/s), IOPS, p50/p99 latency (us) of the direction that did the work."""
    with open(path) as f:
        job = json.load(f)["jobs"][0]
    side = job["write"] if job["write"]["io_bytes"] > 0 else job["read"]
    lat = side.get("lat_ns", {}).get("percentile") or side.get("clat_ns", {}).get("percentile") or {}
    pct = {float(k): v for k, v in lat.items()}
    return {
        "mib_s": side["bw_bytes"] / 2**20,
        "iops": side["iops"],
        "p50_us": pct.get(50.0, 0) / 1000,
        "p99_us": pct.get(99.0, 0) / 1000,
        "errors": job.get("error", 0),
    }


def main():
    ap = argparse.ArgumentParser()
    for a in ("out-dir", "result", "layers", "workloads", "runs", "runtime", "size", "store", "store-desc",
              "binding", "commit", "fr1-status"):
        ap.add_argument("--" + a, required=a not in ("fr1-status",), default="")
    a = ap.parse_args()
    layers, workloads, runs = a.layers.split(), a.workloads.split(), int(a.runs)

    results = []
    med = {}
    for wl in workloads:
        for layer in layers:
            rs = [one_run(os.path.join(a.out_dir, f"{layer}.{wl}.{r}.json")) for r in range(1, runs + 1)]
            m = {k: statistics.median(r[k] for r in rs) for k in ("mib_s", "iops", "p50_us", "p99_us")}
            med[(wl, layer)] = m
            results.append({"workload": wl, "layer": layer, "runs": rs, "median": m})

    def headline(wl, m):
        return m["mib_s"] if wl.startswith("seq") else m["iops"] / 1000

    for row in results:
        wl, layer = row["workload"], row["layer"]
        v = headline(wl, row["median"])
        for base in ("raw", "bindfs"):
            b = med.get((wl, base))
            row["vs_" + base] = round(v / headline(wl, b), 3) if b and headline(wl, b) else None

    print()
    fr1_desc = f"; fr1: 2 members, {a.binding}" if any(l.endswith("fr1") for l in layers) else ""
    print(f"fio --direct=1, {runs} runs x {a.runtime}s, medians; size {a.size}; store: {a.store_desc}{fr1_desc}")
    hdr = f"{'workload':<18} {'layer':<9} {'value':>10} {'unit':<6} {'p50 us':>9} {'p99 us':>9} {'x raw':>7} {'x bindfs':>8}"
    print(hdr)
    print("-" * len(hdr))
    for row in results:
        wl, m = row["workload"], row["median"]
        unit = "MiB/s" if wl.startswith("seq") else "kIOPS"
        val = headline(wl, m)

        def ratio(x):
            return f"{x:.2f}" if x is not None else "-"
        print(f"{wl:<18} {row['layer']:<9} {val:>10.1f} {unit:<6} {m['p50_us']:>9.1f} {m['p99_us']:>9.1f} "
              f"{ratio(row['vs_raw']):>7} {ratio(row['vs_bindfs']):>8}")
    print()

    fr1_status = ""
    if a.fr1_status and os.path.exists(a.fr1_status):
        with open(a.fr1_status) as f:
            fr1_status = f.read()
    doc = {
        "machine": machine(),
        "config": {"layers": layers, "workloads": workloads, "runs": runs, "runtime_s": int(a.runtime),
                   "size": a.size, "store": a.store, "store_desc": a.store_desc, "direct": True,
                   "fr1": {"members": 2, "binding": a.binding, "commit": a.commit, "status": fr1_status}},
        "results": results,
    }
    os.makedirs(os.path.dirname(a.result), exist_ok=True)
    with open(a.result, "w") as f:
        json.dump(doc, f, indent=2)


if __name__ == "__main__":
    main()
