#!/usr/bin/env python3
"""Reads what bench/run left in its work dir (out/LAYER.WORKLOAD.RUN.json from fio, .settle records of the
slow-member layers, out/resync.PCT.RUN.json, out/fullcopy.RUN.json, events-*.log, status-*.json), prints the
tables of medians, ratios and targets, and writes the result JSON with the machine it ran on. Standard library
only."""
import argparse
import datetime
import glob
import json
import re
import os
import platform
import statistics
import subprocess

SLOW_LAYERS = ("fr1-2-slow", "fr1-async", "loop-fr1-async", "qemu-quorum-slow")
# Where the table compares every layer with (columns x raw, x bindfs, x pt = jfuse-pt, x fr1-1; all in the JSON).
BASES = ("raw", "bindfs", "jfuse-pt", "qemu-quorum", "fr1-1")
# 1 MiB sequential fr1-2 / bindfs before issue 9 (bench/RESULTS.md): no regression from these.
SEQ_BASELINE = {"seqwrite-1m": 1.58, "seqread-1m": 2.25}
SEQ_TOLERANCE = 0.95   # "no regression" allows 5 % run-to-run noise


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def machine(a):
    cpu = ""
    mem_kib = 0
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_kib = int(line.split()[1])
    except OSError:
        pass
    return {
        "nproc": int(sh("nproc") or 0),
        "mem_total_gib": round(mem_kib / 2**20, 1),
        "free_g": sh("free", "-g"),
        "kernel": platform.release(),
        "cpu_model": cpu,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "fio": sh("fio", "--version"),
        "nbdkit": sh("nbdkit", "--version"),
        "qemu_storage_daemon": sh("qemu-storage-daemon", "--version").split("\n")[0],
        "load_average": {
            "before_waiting": a.load_before_wait,
            "at_start": a.load_start,
            "at_end": a.load_end,
            "note": "1/5/15-minute load averages from /proc/loadavg; 'at_end' includes the bench's own load",
        },
        "quiet_wait": {"waited_s": int(a.quiet_waited), "max_s": int(a.quiet_max), "threshold": float(a.quiet_load),
                       "reached": float(a.load_start.split()[0]) < float(a.quiet_load)},
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


def load_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def headline(wl, m):
    return m["mib_s"] if wl.startswith("seq") else m["iops"] / 1000


def fmt(x, nd=2):
    return "-" if x is None else f"{x:.{nd}f}"


def issue9_targets(med, resync):
    """The ratios issue 9 is checked by: rows of what, target, value, met (None: no verdict, or not measured)."""
    rows = []

    def value(wl, layer, base):
        m, b = med.get((wl, layer)), med.get((wl, base))
        if not m or not b or not headline(wl, b):
            return None
        return headline(wl, m) / headline(wl, b)

    def add(what, target, v, least):
        rows.append({"what": what, "target": target, "value": None if v is None else round(v, 3),
                     "met": None if v is None or least is None else v >= least})

    for wl in ("randwrite-4k-qd1", "randwrite-4k-qd16"):
        add(f"{wl} fr1-2/fr1-1", ">= 0.95", value(wl, "fr1-2", "fr1-1"), 0.95)
    for wl in ("seqwrite-1m", "seqread-1m", "randwrite-4k-qd1", "randread-4k-qd1", "randwrite-4k-qd16",
               "randread-4k-qd16"):
        add(f"{wl} fr1-1/jfuse-pt", ">= 0.9", value(wl, "fr1-1", "jfuse-pt"), 0.9)
    for wl in ("randwrite-4k-qd1", "randread-4k-qd1", "randwrite-4k-qd16", "randread-4k-qd16"):
        add(f"{wl} fr1-2/qemu-quorum", "aim ~2", value(wl, "fr1-2", "qemu-quorum"), None)
    for wl in ("randwrite-4k-qd1", "randwrite-4k-qd16", "seqwrite-1m"):
        add(f"{wl} fr1-2-slow/qemu-quorum-slow", ">= 0.95", value(wl, "fr1-2-slow", "qemu-quorum-slow"), 0.95)
    for wl in ("randwrite-4k-qd1", "randwrite-4k-qd16", "seqwrite-1m", "randwrite-4k-qd1-hot"):
        add(f"{wl} fr1-2/fr1-2-nobitmap (bitmap cost)", ">= 0.98", value(wl, "fr1-2", "fr1-2-nobitmap"), 0.98)
    for wl, base in SEQ_BASELINE.items():
        add(f"{wl} fr1-2/bindfs (no regression from {base})", f">= {base * SEQ_TOLERANCE:.2f}",
            value(wl, "fr1-2", "bindfs"), base * SEQ_TOLERANCE)
    for lv in (resync or {}).get("levels", []):
        if lv["percent"] in (1.0, 10.0):
            add(f"resync {lv['percent']:g}% copy rate / raw copy", ">= 0.8", lv.get("rate_vs_raw"), 0.8)
    return rows


def main():
    ap = argparse.ArgumentParser()
    for a in ("work", "result", "layers", "workloads", "runs", "runtime", "slow-runtime", "size", "delay",
              "paced-iops", "paced-runtime", "async-opts", "qemu-child-opts", "resync-size", "resync-levels", "thin-levels", "store", "store-desc", "binding", "jar", "commit",
              "load-before-wait", "load-start", "load-end", "quiet-waited", "quiet-max", "quiet-load", "quick",
              "seconds", "fio-seconds"):
        ap.add_argument("--" + a, default="")
    a = ap.parse_args()
    layers, workloads, runs = a.layers.split(), a.workloads.split(), int(a.runs)
    out = os.path.join(a.work, "out")

    # ---------------------------------------------------------------- fio
    results = []
    med = {}
    for wl in workloads:
        for layer in layers:
            rs = []
            for r in range(1, runs + 1):
                p = os.path.join(out, f"{layer}.{wl}.{r}.json")
                if not os.path.exists(p):
                    continue
                run = one_run(p)
                after = load_json(os.path.join(out, f"{layer}.{wl}.{r}.after"))
                if after is not None:
                    ms = after.get("members", [])
                    run["after"] = {"states": [m["state"] for m in ms], "lag_writes": [m.get("lagWrites", 0) for m in ms],
                                    "write_behind": [m.get("writeBehind", False) for m in ms],
                                    "degraded": any(m["state"] != "in_sync" for m in ms),
                                    "recovery_point_ms": max((m.get("lag", {}).get("recoveryPointMs", 0) for m in ms),
                                                             default=0),
                                    "lag_chunks": max((m.get("lag", {}).get("chunks", 0) for m in ms), default=0),
                                    "chunk_size": (after.get("array") or {}).get("chunkSize", 65536)}
                settle = load_json(os.path.join(out, f"{layer}.{wl}.{r}.settle"))
                if settle is not None:
                    run["settle"] = settle
                rs.append(run)
            if not rs:
                continue
            m = {k: statistics.median(r[k] for r in rs) for k in ("mib_s", "iops", "p50_us", "p99_us")}
            degraded = sum(1 for r in rs if r.get("after", {}).get("degraded") or r.get("settle", {}).get("member_failed"))
            med[(wl, layer)] = m
            results.append({"workload": wl, "layer": layer, "runs": rs, "median": m, "degraded_runs": degraded})

    def ratio(wl, layer, base, key=None):
        m, b = med.get((wl, layer)), med.get((wl, base))
        if not m or not b:
            return None
        if key:
            return m[key] / b[key] if b[key] else None
        return headline(wl, m) / headline(wl, b) if headline(wl, b) else None

    for row in results:
        for base in BASES:
            # A paced run does the same IOPS everywhere: no throughput ratio (its latency is compared below).
            v = None if row["workload"].endswith("-paced") else ratio(row["workload"], row["layer"], base)
            row["vs_" + base] = round(v, 3) if v is not None else None

    print()
    print(f"fio --direct=1, {runs} runs x {a.runtime}s ({a.slow_runtime}s on the slow-member layers), medians; "
          f"size {a.size}; store: {a.store_desc}; fr1 {a.binding}; slow member: nbdkit delay-write={a.delay}; "
          f"fr1-async: -o {a.async_opts}; paced: {a.paced_iops} IOPS for {a.paced_runtime}s; "
          f"qemu quorum children: {a.qemu_child_opts}")
    hdr = (f"{'workload':<23} {'layer':<15} {'value':>8} {'unit':<5} {'p50 us':>9} {'p99 us':>9} "
           f"{'x raw':>6} {'x bindfs':>8} {'x pt':>6} {'x fr1-1':>7}")
    print(hdr)
    print("-" * len(hdr))
    last = None
    for row in results:
        wl, m = row["workload"], row["median"]
        if last is not None and wl != last:
            print()
        last = wl
        unit = "MiB/s" if wl.startswith("seq") else "kIOPS"
        flag = f"  ! member 1 failed in {row['degraded_runs']}/{len(row['runs'])} runs" if row["degraded_runs"] else ""
        print(f"{wl:<23} {row['layer']:<15} {headline(wl, m):>8.{1 if headline(wl, m) >= 10 else 2}f} {unit:<5} "
              f"{m['p50_us']:>9.1f} {m['p99_us']:>9.1f} {fmt(row['vs_raw']):>6} {fmt(row['vs_bindfs']):>8} "
              f"{fmt(row['vs_jfuse-pt']):>6} {fmt(row['vs_fr1-1']):>7}{flag}")
    if any(row["degraded_runs"] for row in results):
        print("! = fr1 failed member 1 (or it was not in_sync) during or right after such runs; events in the JSON")
    print()

    targets = {}

    # async: p50 write latency, fr1 async with the slow member vs fr1 with only the fast member.
    async_rows = []
    for wl in ("seqwrite-1m", "randwrite-4k-qd1", "randwrite-4k-qd16", "randwrite-4k-qd1-paced"):
        fa, f1, fs = med.get((wl, "fr1-async")), med.get((wl, "fr1-1")), med.get((wl, "fr1-2-slow"))
        if fa and f1:
            async_rows.append({"workload": wl, "async_p50_us": fa["p50_us"], "fr1_1_p50_us": f1["p50_us"],
                               "sync_slow_p50_us": fs["p50_us"] if fs else None,
                               "ratio": fa["p50_us"] / f1["p50_us"] if f1["p50_us"] else None})
    # async (issue 10): the recovery point right after each run, and catch-up after it vs the slow member's rate.
    slow_bw = None
    sd = load_json(os.path.join(a.work, "slow-depth32.json"))
    if sd:
        slow_bw = sum(j["write"]["bw_bytes"] for j in sd["jobs"])
    catchups = []
    for res in results:
        if res["layer"] != "fr1-async":
            continue
        for i, r in enumerate(res["runs"]):
            after = r.get("after") or {}
            row = {"workload": res["workload"], "recovery_point_ms": after.get("recovery_point_ms", 0),
                   "lacking_chunks": after.get("lag_chunks", 0), "catchup_s": None, "ratio": None}
            p = os.path.join(out, f"fr1-async.{res['workload']}.{i + 1}.catchup")
            if os.path.exists(p):
                with open(p) as f:
                    row["catchup_s"] = float(f.read().strip() or 0)
                lacking = row["lacking_chunks"] * after.get("chunk_size", 65536)
                if slow_bw and lacking:
                    row["ratio"] = row["catchup_s"] / (lacking / slow_bw)
            catchups.append(row)
    if catchups:
        print("async: recovery point right after each run, and the catch-up after it; slow member alone at depth 32: "
              + (f"{slow_bw / 2**20:.1f} MiB/s" if slow_bw else "not measured") + "; target catch-up <= 1.5x bytes/that")
        for c in catchups:
            if c["catchup_s"] is None:
                continue
            print(f"  {c['workload']:<23} recovery point {c['recovery_point_ms']:>7} ms, {c['lacking_chunks']:>6} chunks "
                  f"lacking at the end; caught up {c['catchup_s']:>7.2f} s later"
                  + (f" = {c['ratio']:.2f}x bytes/depth-32 rate" if c["ratio"] else ""))
        targets["async_catchup"] = {"target": "catch-up time <= 1.5x bytes / slow member at depth 32",
                                    "slow_member_bytes_per_s": slow_bw, "rows": catchups}
    if async_rows:
        print("async: p50 write latency, fr1-async (member 1 +" + a.delay + ", write-behind) vs fr1-1 (fast member only)"
              "; target <= 1.2x")
        for r in async_rows:
            print(f"  {r['workload']:<23} async {r['async_p50_us']:>9.1f} us   fr1-1 {r['fr1_1_p50_us']:>8.1f} us   "
                  f"ratio {fmt(r['ratio'])}   (sync with the slow member: {fmt(r['sync_slow_p50_us'], 1)} us)")
        print()
        targets["async_p50"] = {"target": "p50 write latency fr1-async <= 1.2x fr1-1", "rows": async_rows,
                                "met": {r["workload"]: (r["ratio"] is not None and r["ratio"] <= 1.2)
                                        for r in async_rows}}

    seq = {}
    for wl in ("seqwrite-1m", "seqread-1m"):
        v = ratio(wl, "fr1-2", "bindfs")
        if v is not None:
            seq[wl] = {"fr1_2_vs_bindfs": round(v, 3), "met": v >= 0.9}
    if seq:
        targets["seq_vs_bindfs"] = {"target": "fr1-2 sequential 1 MiB >= 0.9x bindfs", "rows": seq}

    bm = {}
    for wl in ("randwrite-4k-qd1", "randwrite-4k-qd16"):
        v = ratio(wl, "fr1-2", "fr1-1")
        if v is not None:
            bm[wl + " fr1-2/fr1-1"] = round(v, 3)
    hot2, full2 = med.get(("randwrite-4k-qd1-hot", "fr1-2")), med.get(("randwrite-4k-qd1", "fr1-2"))
    hot1, full1 = med.get(("randwrite-4k-qd1-hot", "fr1-1")), med.get(("randwrite-4k-qd1", "fr1-1"))
    if hot2 and full2:
        bm["fr1-2 full/hot16M"] = round(full2["iops"] / hot2["iops"], 3)
    if hot1 and full1:
        bm["fr1-1 full/hot16M"] = round(full1["iops"] / hot1["iops"], 3)
    if hot1 and hot2:
        bm["hot16M fr1-2/fr1-1"] = round(hot2["iops"] / hot1["iops"], 3)
    if bm:
        print("4 KiB random write, what a second member and the write-intent bitmap cost (IOPS ratios; target: "
              "bitmap <= 2%, i.e. >= 0.98)")
        for k, v in bm.items():
            print(f"  {k:<28} {v:.3f}")
        print("  (full = over the whole image; hot16M = a 16 MiB region whose bits stay set, so no bitmap writes)")
        print()
        targets["bitmap_4k"] = {"target": "4 KiB random write: bitmap costs <= 2%", "ratios": bm,
                                "met_vs_1_member": bm.get("randwrite-4k-qd1 fr1-2/fr1-1", 0) >= 0.98,
                                "met_full_vs_hot": bm.get("fr1-2 full/hot16M", 0) >= 0.98}

    # ---------------------------------------------------------------- resync
    resync = None
    levels = a.resync_levels.split()
    copies = [load_json(p)["seconds"] for p in sorted(glob.glob(os.path.join(out, "fullcopy.*.json")))]
    if levels and copies:
        full = statistics.median(copies)
        resync = {"image": a.resync_size, "full_copy_s": {"runs": copies, "median": full}, "levels": []}
        print(f"resync of a {a.resync_size} image (sparse members) vs a full copy (dd bs=4M conv=fsync of a fully "
              f"written file): {full:.3f} s (median)")
        print(f"  {'dirty':>6} {'chunks':>7} {'copied':>7} {'engine ms':>10} {'wall s':>7} {'engine/full':>12} "
              f"{'wall/full':>10} {'MiB/s':>7} {'raw MiB/s':>9} {'rate/raw':>8}")
        for pct in levels:
            rs = [load_json(p) for p in sorted(glob.glob(os.path.join(out, f"resync.{pct}.*.json")))]
            rs = [r for r in rs if r]
            if not rs:
                continue
            eng = [r["engine_ms"] for r in rs if r.get("engine_ms") is not None]
            e = statistics.median(eng) if eng else None
            wall = statistics.median(r["wall_s"] for r in rs)
            lv = {"percent": float(pct), "chunks_dirty": rs[0]["chunks_dirty"], "runs": rs,
                  "engine_ms": e, "wall_s": wall,
                  "engine_vs_full": (e / 1000 / full) if e is not None and full else None,
                  "wall_vs_full": wall / full if full else None}
            resync["levels"].append(lv)
            cp = [r.get("chunks_copied") for r in rs if r.get("chunks_copied") is not None]
            lv["chunks_copied"] = statistics.median(cp) if cp else None
            # Copy rate (bytes copied / engine time) against a raw copy (dd conv=fsync) of as many bytes.
            rates, raws, ratios = [], [], []
            for r in rs:
                if r.get("engine_ms") and r.get("chunks_copied") is not None and r.get("chunk_size") \
                        and r.get("raw_copy_s"):
                    rate = r["chunks_copied"] * r["chunk_size"] / 2**20 / (r["engine_ms"] / 1000)
                    raw = r["raw_copy_bytes"] / 2**20 / r["raw_copy_s"]
                    rates.append(rate)
                    raws.append(raw)
                    ratios.append(rate / raw)
            lv["copy_mib_s"] = statistics.median(rates) if rates else None
            lv["raw_copy_mib_s"] = statistics.median(raws) if raws else None
            lv["rate_vs_raw"] = statistics.median(ratios) if ratios else None
            print(f"  {pct + '%':>6} {lv['chunks_dirty']:>7} {fmt(lv['chunks_copied'], 0):>7} {fmt(e, 0):>10} {wall:>7.2f} "
                  f"{fmt(lv['engine_vs_full'], 3):>12} {fmt(lv['wall_vs_full'], 3):>10} {fmt(lv['copy_mib_s'], 0):>7} "
                  f"{fmt(lv['raw_copy_mib_s'], 0):>9} {fmt(lv['rate_vs_raw'], 2):>8}")
        print("  engine ms: the daemon's own time from resync start to in_sync (resync-finished event); wall s: from "
              "starting 'fr1 add' to that event (includes the CLI's JVM start, ~0.4 s)")
        print("  MiB/s: chunks copied x chunk size / engine time; raw MiB/s: dd bs=4M conv=fsync of as many bytes of a "
              "written file on the same store; rate/raw: their ratio (median of the per-run ratios)")
        print()
        one = next((lv for lv in resync["levels"] if lv["percent"] == 1.0), None)
        if one:
            targets["resync_1pct"] = {"target": "resync of 1% <= 3% of a full copy",
                                      "engine_vs_full": one["engine_vs_full"], "wall_vs_full": one["wall_vs_full"],
                                      "met": one["engine_vs_full"] is not None and one["engine_vs_full"] <= 0.03,
                                      "met_wall": one["wall_vs_full"] is not None and one["wall_vs_full"] <= 0.03}

    # ---------------------------------------------------------------- thin images (issue 11)
    thin = None
    thin_levels = a.thin_levels.split()
    raw = [load_json(p)["seconds"] for p in sorted(glob.glob(os.path.join(out, "thinfull.*.json")))]
    raw = [x for x in raw if x]
    if thin_levels and raw:
        full = statistics.median(raw)
        thin = {"image": a.resync_size, "raw_copy_s": {"runs": raw, "median": full}, "levels": [], "fstrim": None}
        print(f"thin images: add --full of a new member to a {a.resync_size} image vs a raw copy of the whole image "
              f"(dd bs=4M conv=fsync): {full:.3f} s (median)")
        print(f"  {'data':>5} {'engine ms':>10} {'wall s':>7} {'engine/raw':>11} {'source MiB':>11} {'new MiB':>8} "
              f"{'new/source':>10} {'identical':>9}")
        for pct in thin_levels:
            rs = [load_json(p) for p in sorted(glob.glob(os.path.join(out, f"thin.{pct}.*.json")))]
            rs = [r for r in rs if r]
            if not rs:
                continue
            eng = [r["engine_ms"] for r in rs if r.get("engine_ms") is not None]
            e = statistics.median(eng) if eng else None
            src = statistics.median(r["source_bytes"] for r in rs)
            new = statistics.median(r["new_member_bytes"] for r in rs)
            lv = {"percent": float(pct), "runs": rs, "engine_ms": e,
                  "wall_s": statistics.median(r["wall_s"] for r in rs),
                  "engine_vs_raw": (e / 1000 / full) if e is not None and full else None,
                  "new_vs_source_bytes": new / src if src else None,
                  "identical": all(r.get("identical") for r in rs)}
            thin["levels"].append(lv)
            print(f"  {pct + '%':>5} {fmt(e, 0):>10} {lv['wall_s']:>7.2f} {fmt(lv['engine_vs_raw'], 3):>11} "
                  f"{src / 2**20:>11.0f} {new / 2**20:>8.0f} {fmt(lv['new_vs_source_bytes'], 2):>10} "
                  f"{str(lv['identical']).lower():>9}")
        trims = [load_json(p) for p in sorted(glob.glob(os.path.join(out, "fstrim.*.json")))]
        trims = [t for t in trims if t and t.get("mib_s")]
        if trims:
            thin["fstrim"] = {"runs": trims, "mib_s": statistics.median(t["mib_s"] for t in trims)}
            t0 = trims[0]
            print(f"  fstrim through a loop device (ext4 on the 100% image): {thin['fstrim']['mib_s']:.0f} MiB/s "
                  f"trimmed (median); member {t0['member_bytes_before'] / 2**20:.0f} -> "
                  f"{t0['member_bytes_after'] / 2**20:.0f} MiB")
        goal = {1.0: 0.05, 10.0: 0.15}
        for lv in thin["levels"]:
            if lv["percent"] in goal:
                targets[f"thin_full_resync_{lv['percent']:g}pct"] = {
                    "target": f"add --full of a {lv['percent']:g}% image <= {goal[lv['percent']]}x a raw copy",
                    "engine_vs_raw": lv["engine_vs_raw"],
                    "met": lv["engine_vs_raw"] is not None and lv["engine_vs_raw"] <= goal[lv["percent"]]}
        print("  engine ms: from resync start to in_sync (resync-finished event); new/source: the new member's size on "
              "disk (du) over the source's")
        print()

    def verdict(ok):
        return "met" if ok else "MISSED"

    issue9 = issue9_targets(med, resync)
    targets["issue9"] = issue9
    shown = [t for t in issue9 if t["value"] is not None]   # the rows whose layers ran
    if shown:
        width = max(len(t["what"]) for t in shown)
        print("targets (issue 9; ratios of medians in this run):")
        for t in shown:
            mark = "(no verdict)" if t["met"] is None else verdict(t["met"])
            print(f"  {t['what']:<{width}} {t['target']:<8} {t['value']:>6.2f}x  {mark}")
        if any("nobitmap" in t["what"] for t in shown):
            print("  (fr1-2-nobitmap is fr1-2 with -Dfr1.bench.noBitmap=true: the same as fr1-2 until the engine "
                  "reads it)")
        print()
    print("targets (from issue 4):")
    if "async_p50" in targets:
        for r in targets["async_p50"]["rows"]:
            print(f"  async p50 <= 1.2x fr1-1, {r['workload']:<23} {fmt(r['ratio'])}x  "
                  f"{verdict(r['ratio'] is not None and r['ratio'] <= 1.2)}")
    for wl, v in targets.get("seq_vs_bindfs", {}).get("rows", {}).items():
        print(f"  fr1-2 {wl} >= 0.9x bindfs{'':<11} {v['fr1_2_vs_bindfs']:.2f}x  {verdict(v['met'])}")
    if "bitmap_4k" in targets:
        t = targets["bitmap_4k"]
        v = t["ratios"].get("randwrite-4k-qd1 fr1-2/fr1-1")
        print(f"  4k randwrite fr1-2 >= 0.98x fr1-1{'':<10} {fmt(v)}x  {verdict(t['met_vs_1_member'])}")
        v = t["ratios"].get("fr1-2 full/hot16M")
        print(f"  4k randwrite fr1-2 whole/hot >= 0.98{'':<7} {fmt(v)}x  {verdict(t['met_full_vs_hot'])}")
    if "resync_1pct" in targets:
        t = targets["resync_1pct"]
        print(f"  resync 1% <= 3% of a full copy{'':<13} {fmt(t['engine_vs_full'], 3)}  {verdict(t['met'])}"
              f"  (wall, with the CLI: {fmt(t['wall_vs_full'], 3)})")
    print()

    # ---------------------------------------------------------------- JSON
    events = []
    p = os.path.join(a.work, "events.log")
    if os.path.exists(p):
        with open(p) as f:
            events = [line.rstrip("\n") for line in f]
    statuses = {}
    for p in glob.glob(os.path.join(a.work, "status-*.json")):
        statuses[os.path.basename(p)[7:-5]] = load_json(p)
    doc = {
        "machine": machine(a),
        "config": {"layers": layers, "workloads": workloads, "runs": runs, "runtime_s": float(a.runtime),
                   "slow_runtime_s": float(a.slow_runtime), "slow_layers": list(SLOW_LAYERS),
                   "size": a.size, "store": a.store, "store_desc": a.store_desc, "direct": True,
                   "delay_write": a.delay, "paced_iops": int(a.paced_iops or 0),
                   "paced_runtime_s": float(a.paced_runtime or 0), "async_opts": a.async_opts, "quick": a.quick == "1",
                   "resync_size": a.resync_size, "resync_levels": levels,
                   "fr1": {"binding": a.binding, "commit": a.commit, "jar": a.jar,
                           "async_status_at_mount": load_json(os.path.join(a.work, "fa-status-at-mount.json"))},
                   "duration_s": {"measuring": int(a.seconds or 0), "fio_phase": int(a.fio_seconds or 0)}},
        "results": results,
        "resync": resync,
        "thin": thin,
        "targets": targets,
        "events": events,
        "final_status": statuses,
    }
    os.makedirs(os.path.dirname(a.result), exist_ok=True)
    with open(a.result, "w") as f:
        json.dump(doc, f, indent=2)


if __name__ == "__main__":
    main()
