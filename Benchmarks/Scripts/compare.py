#!/usr/bin/env python3
"""Summarises an A/B made by ab.sh: OUT-DIR holds before-N.json and after-N.json (eventbus-bench --json).

Per row: the median over the runs of ns/event, of ns/event divided by the same run's
baseline-actor-hop, of CPU ns/event and, for latency rows, of p50/p99/p99.9; then issue 30's
targets, each computed per run (ratios within one run) and summarised by the median over the
runs of the "after" side (and of the "before" side where it has the rows).
"""
import glob, json, os, statistics, sys

out = sys.argv[1]


def load(side):
    runs = []
    for path in sorted(glob.glob(os.path.join(out, f"{side}-*.json"))):
        try:
            with open(path) as handle:
                runs.append({row["name"]: row for row in json.load(handle)["results"]})
        except (ValueError, KeyError):
            print(f"{path}: not a finished run, left out", file=sys.stderr)
    return runs


sides = {"before": load("before"), "after": load("after")}
names = []
for runs in sides.values():
    for run in runs:
        for name in run:
            if name not in names:
                names.append(name)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def field(run, name, key):
    return run.get(name, {}).get(key)


def per_hop(run, name):
    hop = field(run, "baseline-actor-hop", "nsPerEvent")
    value = field(run, name, "nsPerEvent")
    return value / hop if hop and value is not None else None


def fmt(value, digits=1):
    if value is None:
        return "—"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


print(f"runs: before {len(sides['before'])}, after {len(sides['after'])}\n")
print("| row | before ns | after ns | before × hop | after × hop | before CPU ns | after CPU ns | after: latency p50 / p99 / p99.9 ns, or bytes |")
print("|---|---:|---:|---:|---:|---:|---:|---|")
for name in names:
    b, a = sides["before"], sides["after"]
    notes = ""
    if any(field(run, name, "p50Ns") is not None for run in a):
        notes = " / ".join(fmt(median([field(run, name, k) for run in a]), 0) for k in ("p50Ns", "p99Ns", "p999Ns"))
    elif any(field(run, name, "bytes") is not None for run in a):
        notes = f"{fmt(median([field(run, name, 'bytes') for run in a]), 0)} bytes"
    print(
        f"| {name} | {fmt(median([field(r, name, 'nsPerEvent') for r in b]))} "
        f"| {fmt(median([field(r, name, 'nsPerEvent') for r in a]))} "
        f"| {fmt(median([per_hop(r, name) for r in b]), 2)} | {fmt(median([per_hop(r, name) for r in a]), 2)} "
        f"| {fmt(median([field(r, name, 'cpuNsPerEvent') for r in b]))} "
        f"| {fmt(median([field(r, name, 'cpuNsPerEvent') for r in a]))} | {notes} |"
    )


def ratio(run, top, bottom, key="nsPerEvent"):
    x, y = field(run, top, key), field(run, bottom, key)
    return x / y if x is not None and y else None


def paired(run, name, key):
    row = run.get(name, {})
    return row[key] / row["nsPerEvent"] if key in row and row.get("nsPerEvent") else None


# The durable goals compare the row's rate with its paired raw rate: raw ns / row ns.
targets = [
    ("observer-1 ≤ 5 × actor hop", lambda r, k: ratio(r, "observer-1", "baseline-actor-hop", k), 5.0, True),
    ("observer-10 ≤ 20 × actor hop", lambda r, k: ratio(r, "observer-10", "baseline-actor-hop", k), 20.0, True),
    ("observer-10 below opencombine-10", lambda r, k: ratio(r, "observer-10", "baseline-opencombine-10", k), 1.0, True),
    ("callback-inline-1 ≤ 1.5 × opencombine", lambda r, k: ratio(r, "callback-inline-1", "baseline-opencombine", k), 1.5, True),
    ("callback-1 ≤ 12 × actor hop", lambda r, k: ratio(r, "callback-1", "baseline-actor-hop", k), 12.0, True),
    ("mailbox-1 ≤ 12 × actor hop", lambda r, k: ratio(r, "mailbox-1", "baseline-actor-hop", k), 12.0, True),
    ("mailbox-1 ≥ 3 × faster than asyncstream", lambda r, k: ratio(r, "baseline-asyncstream", "mailbox-1", k), 3.0, False),
    ("mailbox-10 ≤ 40 × actor hop", lambda r, k: ratio(r, "mailbox-10", "baseline-actor-hop", k), 40.0, True),
    ("batch-observer-1 ≤ 0.5 × observer-1", lambda r, k: ratio(r, "batch-observer-1", "observer-1", k), 0.5, True),
    ("batch-callback-1 ≤ 0.5 × callback-1", lambda r, k: ratio(r, "batch-callback-1", "callback-1", k), 0.5, True),
    ("batch-mailbox-1 ≤ 0.5 × mailbox-1", lambda r, k: ratio(r, "batch-mailbox-1", "mailbox-1", k), 0.5, True),
    ("latency-mailbox p50 ≤ asyncstream's", lambda r, k: k == "nsPerEvent" and ratio(r, "latency-mailbox", "latency-asyncstream", "p50Ns") or None, 1.0, True),
    ("latency-mailbox p99 ≤ asyncstream's", lambda r, k: k == "nsPerEvent" and ratio(r, "latency-mailbox", "latency-asyncstream", "p99Ns") or None, 1.0, True),
    ("latency-callback p50 ≤ asyncstream's", lambda r, k: k == "nsPerEvent" and ratio(r, "latency-callback", "latency-asyncstream", "p50Ns") or None, 1.0, True),
    ("latency-callback p99 ≤ asyncstream's", lambda r, k: k == "nsPerEvent" and ratio(r, "latency-callback", "latency-asyncstream", "p99Ns") or None, 1.0, True),
    ("durable-batched ≥ 40 % of raw group commit (paired)", lambda r, k: k == "nsPerEvent" and paired(r, "durable-batched", "pairedRawGroupCommitNsPerEvent") or None, 0.4, False),
    ("durable-always ≥ 90 % of raw fsync (paired)", lambda r, k: k == "nsPerEvent" and paired(r, "durable-always", "pairedRawFsyncNsPerEvent") or None, 0.9, False),
    ("durable-always-8 ≥ 4 × raw fsync (paired)", lambda r, k: k == "nsPerEvent" and paired(r, "durable-always-8", "pairedRawFsyncNsPerEvent") or None, 4.0, False),
]


print("\n| target | before (median of runs) | after (median of runs) | after, each run | met | after, by CPU time |")
print("|---|---:|---:|---|---|---:|")
for text, compute, limit, at_most in targets:
    before = median([compute(r, "nsPerEvent") for r in sides["before"]])
    each = [compute(r, "nsPerEvent") for r in sides["after"]]
    after = median(each)
    cpu = median([compute(r, "cpuNsPerEvent") for r in sides["after"]])
    met = "—" if after is None else ("yes" if (after <= limit if at_most else after >= limit) else "no")
    print(f"| {text} | {fmt(before, 2)} | {fmt(after, 2)} | {', '.join(fmt(v, 2) for v in each)} | {met} | {fmt(cpu, 2)} |")
