#!/usr/bin/env python3
"""The drill's instruments, called by scripts/drill:

  drill.py watch OUT EDGE_STATS_URL...     every 50 ms, each edge's view of each region (UP/DOWN per flow
                                           check), as JSON lines with the time, until killed
  drill.py rpo LAB REGION REGIONS OUT CRASH ORDERS...
                                           at the crash: the orders REGION acknowledged that no other
                                           region had yet, with their age (JSON)
  drill.py converge LAB REGIONS TIMEOUT     seconds until every region holds the same rows in every
                                           replicated table (per-table digests), or -1
  drill.py lost LAB REGIONS ORDERS...       the acknowledged orders some region still lacks (JSON list)
  drill.py failover INDEX CRASH OUT         seconds from the crash until a node of region INDEX (a lab up
                                           with --ha) is the primary again, by Patroni (JSON)
  drill.py assemble WORK                    the drill's figures from what it recorded in WORK: detection
                                           from the edges' views, RTO from the loads' timelines
  drill.py report DRILL.json                the markdown report of a finished drill
"""
import csv
import io
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request

PG_BIN = "/usr/lib/postgresql/15/bin"
TABLES = ["orders", "order_lines", "carts", "cart_items", "stock", "stock_transfers", "stock_transfer_receipts"]


def psql(lab, region, index, sql):
    """Rows of SQL as the superuser on REGION's database: over its Unix socket, or in a lab up with --ha
    through the router's primary-only address, on whichever node is the primary."""
    environment = dict(os.environ)
    if os.path.exists(f"{lab}/ha"):
        host, port = f"127.0.0.{11 + index}", 55531 + index
        environment["PGPASSWORD"] = open(f"{lab}/db-password").read().strip()
    else:
        host, port = f"{lab}/{region}/pg/run", 55431 + index
    command = ["psql", "-X", "-tA", "-F", "\t", "-h", host, "-p", str(port), "-U", "postgres", "-d", "storefront", "-c", sql]
    if os.getuid() == 0 and not os.path.exists(f"{lab}/ha"):
        command = ["runuser", "-u", "postgres", "--"] + command
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, env=environment)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip())
    return [line.split("\t") for line in result.stdout.splitlines() if line]


def regions_of(spec):
    """'us-east:0,eu-west:1' -> [('us-east', 0), ...]"""
    return [(name, int(index)) for name, index in (item.split(":") for item in spec.split(","))]


def read_orders(paths):
    orders = []
    for path in paths:
        if os.path.exists(path):
            for line in open(path):
                line = line.strip()
                if line:
                    orders.append(json.loads(line))
    return orders


def watch(out, urls):
    """One thread per edge, so that an edge slow to answer does not delay what the others say."""
    lock = threading.Lock()
    sink = open(out, "a")

    def poll(url):
        while True:
            now = time.time()
            try:
                text = urllib.request.urlopen(url + "/stats;csv", timeout=1).read().decode()
            except Exception as error:  # an edge that does not answer is worth a line too
                line = {"t": now, "edge": url, "error": str(error)}
            else:
                states = {}
                for row in csv.DictReader(io.StringIO(text.lstrip("# "))):
                    if row["svname"] in ("FRONTEND", "BACKEND"):
                        continue
                    if row["pxname"].startswith("checks_"):
                        # checks_<flow>, or checks_balanced_<flow> for a region of several instances.
                        check = row["pxname"][len("checks_"):].removeprefix("balanced_")
                        states[f"{check}/{row['svname']}"] = row["status"]
                    elif row["pxname"].startswith("region_"):
                        # A region's own balancer over its instances: region_<name>_<flow>, server <name>-<k>.
                        flow = row["pxname"][len("region_"):].split("_", 1)[1]
                        states[f"{flow}/{row['svname']}"] = row["status"]
                line = {"t": now, "edge": url, "states": states}
            with lock:
                sink.write(json.dumps(line) + "\n")
                sink.flush()
            time.sleep(0.05)

    threads = [threading.Thread(target=poll, args=(url,), daemon=True) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def rpo(lab, region, all_regions, order_files, out, crash):
    acked = [o for o in read_orders(order_files) if o["region"] == region and o["acked_unix_ms"] / 1000 <= crash]
    missing = {}
    for name, index in all_regions:
        if name == region or not acked:
            continue
        ids = ",".join(f"'{o['id']}'" for o in acked)
        have = {row[0] for row in psql(lab, name, index, f"SELECT id::text FROM orders WHERE id IN ({ids})")}
        missing[name] = [o for o in acked if o["id"] not in have]
    unreplicated = {o["id"]: o for orders in missing.values() for o in orders}
    ages = sorted(crash - o["acked_unix_ms"] / 1000 for o in unreplicated.values())
    json.dump({"crash_unix": crash, "acknowledged_by_region": len(acked), "unreplicated": len(unreplicated),
               "unreplicated_ids": sorted(unreplicated), "max_age_s": ages[-1] if ages else 0,
               "missing_per_region": {name: len(orders) for name, orders in missing.items()}}, open(out, "w"))


def digests(lab, all_regions):
    result = {}
    for name, index in all_regions:
        result[name] = {table: psql(lab, name, index,
                                    f"SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {table} t")[0][0]
                        for table in TABLES}
    return result


def converge(lab, all_regions, timeout):
    start = time.time()
    while time.time() - start < timeout:
        try:
            values = list(digests(lab, all_regions).values())
            if all(v == values[0] for v in values):
                return time.time() - start
        except RuntimeError:
            pass
        time.sleep(0.5)
    return -1


def lost(lab, all_regions, order_files):
    acked = read_orders(order_files)
    gone = []
    for name, index in all_regions:
        have = {row[0] for row in psql(lab, name, index, "SELECT id::text FROM orders")}
        gone += [{"id": o["id"], "acked_by": o["region"], "missing_in": name} for o in acked if o["id"] not in have]
    return gone


def failover(index, crash, out, timeout=60):
    """The nodes' Patroni REST APIs (scripts/lab: 8701+i and 8711+i on the region's address), polled until
    one says it is the primary; the crashed one cannot."""
    urls = [f"http://127.0.0.{11 + index}:{8701 + index + 10 * n}/primary" for n in (0, 1)]
    while time.time() - crash < timeout:
        for url in urls:
            try:
                if urllib.request.urlopen(url, timeout=0.5).status == 200:
                    json.dump({"failover_s": time.time() - crash, "primary": url}, open(out, "w"))
                    return
            except Exception:
                pass
        time.sleep(0.1)
    json.dump({"failover_s": None}, open(out, "w"))


def flow_failures(loads):
    """Per flow (the load's steps by their first word), requests and failures, and the failures' kinds."""
    flows = {}
    for load in loads.values():
        for step, stats in load["steps"].items():
            flow = flows.setdefault(step.split(".")[0], {"count": 0, "errors": 0, "kinds": {}})
            flow["count"] += stats["count"]
            flow["errors"] += stats["errors"]
            for kind, n in stats["errors_by_kind"].items():
                flow["kinds"][kind] = flow["kinds"].get(kind, 0) + n
    return flows


def detection(watch_file, region, crash):
    """Per edge, seconds from the crash until the edge held every flow's check of REGION down (its
    liveness aside: a region whose database died is still live, and stops getting shoppers all the same)."""
    per_edge = {}
    for line in open(watch_file):
        event = json.loads(line)
        if event["t"] < crash or "states" not in event or event["edge"] in per_edge:
            continue
        checks = [state for key, state in event["states"].items() if key.endswith("/" + region) and not key.startswith("live/")]
        if checks and all(state.startswith("DOWN") or state == "MAINT" for state in checks):
            per_edge[event["edge"]] = event["t"] - crash
    return per_edge


def left_rotation(watch_file, region, crash):
    """Whether any edge, after the crash, held REGION down for a flow."""
    for line in open(watch_file):
        event = json.loads(line)
        if event["t"] < crash or "states" not in event:
            continue
        if any(key.endswith("/" + region) and not key.startswith("live/") and state.startswith("DOWN") for key, state in event["states"].items()):
            return True
    return False


def recovery(load, load_start, crash, width_s=0.1, hold_s=1.0):
    """Seconds from the crash until the load's requests succeed as often as before it, and keep doing so."""
    timeline = load.get("timeline") or []
    before = [b for b in timeline if load_start + b["start_ms"] / 1000 < crash]
    requests = sum(b["requests"] for b in before)
    baseline = 1 - sum(b["errors"] for b in before) / requests if requests else 1
    after = [b for b in timeline if load_start + b["start_ms"] / 1000 >= crash]
    hold = int(hold_s / width_s)
    for i, bucket in enumerate(after):
        span = after[i:i + hold]
        if len(span) < hold:
            break
        if all(b["requests"] == 0 or 1 - b["errors"] / b["requests"] >= baseline - 0.001 for b in span):
            return load_start + bucket["start_ms"] / 1000 - crash
    return None


def assemble(work):
    drill = json.load(open(f"{work}/drill.json"))
    drill["loads"] = {c: json.load(open(f"{work}/load-{c}.json")) for c in drill["continents"]}
    lost_one = drill["instance"] if drill["scenario"] == "instance-loss" else drill["region"]
    per_edge = detection(f"{work}/watch.jsonl", lost_one, drill["crash_unix"]) if drill["scenario"] != "slow-db" else {}
    if drill["scenario"] == "instance-loss":
        drill["left_rotation"] = left_rotation(f"{work}/watch.jsonl", drill["region"], drill["crash_unix"])
    drill["detection_per_edge"] = {edge: round(t, 2) for edge, t in per_edge.items()}
    drill["detection_s"] = max(per_edge.values()) if per_edge and len(per_edge) == len(drill["edges"]) else None
    home = drill["home_continent"]
    if home in drill["loads"] and drill["scenario"] != "slow-db":
        drill["rto_s"] = recovery(drill["loads"][home], drill["load_start_unix"][home], drill["crash_unix"])
    for name in ("rpo", "slow", "distance", "failover"):
        if os.path.exists(f"{work}/{name}.json"):
            drill[name] = json.load(open(f"{work}/{name}.json"))
    if os.path.exists(f"{work}/lost.json"):
        drill["lost"] = json.load(open(f"{work}/lost.json"))
    json.dump(drill, open(f"{work}/drill.json", "w"), indent=2)


def percentile_line(load):
    overall = load["overall"]
    return overall["p50_ms"], overall["p99_ms"]


def report(path):
    drill = json.load(open(path))
    crash, back = drill["crash_unix"], drill.get("return_unix")
    lines = [f"# Drill: {drill['scenario']} of {drill['region']}", ""]
    lines.append(f"Lab: {'geo (real round trips)' if drill['geo'] else 'plain (one machine, no distance)'}; "
                 f"{drill['rate']} journeys/s per continent for {drill['duration_s']} s; "
                 f"{drill['scenario']} at {drill['crash_at_s']} s, back at {drill['return_at_s']} s.")
    lines.append("")

    # Requests and errors per second per continent around the crash.
    lines += ["## Requests and errors per second, by continent (t = seconds from the crash)", ""]
    window = range(-3, 12)
    lines.append("| continent | " + " | ".join(f"{t:+d}" for t in window) + " |")
    lines.append("|---|" + "---|" * len(window))
    total_requests = total_errors = 0
    kinds = {}
    for continent, load in drill["loads"].items():
        offset = drill["load_start_unix"][continent]
        buckets = {}
        for bucket in load.get("timeline") or []:
            second = int((offset + bucket["start_ms"] / 1000 - crash) // 1)
            entry = buckets.setdefault(second, [0, 0])
            entry[0] += bucket["requests"]
            entry[1] += bucket["errors"]
            for kind, count in bucket["errors_by_kind"].items():
                kinds[kind] = kinds.get(kind, 0) + count
        total_requests += load["requests"]
        total_errors += load["errors"]
        lines.append(f"| {continent} | " + " | ".join(
            f"{buckets.get(t, [0, 0])[0]}" + (f" ({buckets[t][1]} err)" if buckets.get(t, [0, 0])[1] else "") for t in window) + " |")
    lines.append("")
    lines.append("Errors by kind over the run: " + (", ".join(f"{n} {k}" for k, n in sorted(kinds.items(), key=lambda x: -x[1])) or "none") + ".")
    lines.append("")

    targets = []
    detection = drill.get("detection_s")
    rto = drill.get("rto_s")
    ratio = total_errors / total_requests if total_requests else 0
    lines += ["## The outage", ""]
    outage = drill["scenario"] in ("region-outage", "db-outage", "db-failover")
    if outage:
        lines.append(f"- Detection (crash → every edge has {drill['region']} DOWN for every flow): "
                     + (f"{detection:.2f} s" if detection is not None else "never") + (f"; per edge {drill['detection_per_edge']}" if drill.get("detection_per_edge") else ""))
        lines.append(f"- RTO (crash → {drill['region']}'s continent served at its normal success rate again): "
                     + (f"{rto:.2f} s" if rto is not None else "not reached"))
    lines.append(f"- Failed requests: {total_errors} of {total_requests} ({ratio * 100:.3f} %) over the whole run.")
    if "rpo" in drill:
        r = drill["rpo"]
        lines.append(f"- RPO: {r['unreplicated']} of the {r['acknowledged_by_region']} orders {drill['region']} had acknowledged were "
                     f"not yet in every other region at the crash (oldest {r['max_age_s'] * 1000:.0f} ms old).")
        lines.append(f"- Orders lost after {drill['region']} came back and replication caught up: {len(drill.get('lost', []))}.")
    if outage and drill.get("convergence_s") is not None:
        lines.append(f"- Convergence after the return (every table's digest equal in every region): "
                     + (f"{drill['convergence_s']:.1f} s" if drill["convergence_s"] >= 0 else "not within the limit"))
    if drill["scenario"] == "instance-loss":
        lines.append(f"- Detection (kill → every edge has {drill['instance']} DOWN for every flow): "
                     + (f"{detection:.2f} s" if detection is not None else "never"))
        lines.append(f"- {drill['region']} " + ("left rotation for a flow at some edge" if drill.get("left_rotation") else "stayed in rotation for every flow at every edge")
                     + f"; its other instances took {drill['instance']}'s shoppers.")
        targets.append(("failed requests ≤ 0.1 %", ratio <= 0.001))
        targets.append((f"{drill['region']} never leaves rotation", not drill.get("left_rotation")))
        targets.append(("detection ≤ 2 s", detection is not None and detection <= 2))
    if drill["scenario"] == "db-failover":
        seconds = drill.get("failover", {}).get("failover_s")
        lines.append(f"- Failover (crash → the standby is the primary): " + (f"{seconds:.2f} s" if seconds is not None else "not within 60 s"))
        flows = flow_failures(drill["loads"])
        for flow, stats in sorted(flows.items()):
            kinds = ", ".join(f"{n} {k}" for k, n in sorted(stats["kinds"].items(), key=lambda x: -x[1])) or "none"
            lines.append(f"- {flow}: {stats['errors']} of {stats['count']} requests failed ({kinds})")
        checkout = flows.get("checkout", {"count": 0, "errors": 0, "kinds": {}})
        targets.append(("writes back within 15 s", seconds is not None and seconds <= 15))
        targets.append(("browsing never fails", flows.get("browse", {}).get("errors", 0) == 0))
        targets.append(("≤ 1 % of checkout requests failed", checkout["count"] > 0 and checkout["errors"] <= 0.01 * checkout["count"]))
        targets.append(("no acknowledged order lost", not drill.get("lost")))
        targets.append(("peers converge within 10 s", drill.get("convergence_s") is not None and 0 <= drill["convergence_s"] <= 10))
    if drill["scenario"] == "slow-db":
        s = drill.get("slow", {})
        lines.append(f"- While slow, {drill['region']} answered readiness 200 in {s.get('ready_ok', 0)} of {s.get('ready_polls', 0)} polls; "
                     f"its continent's share served by {drill['region']}: before {s.get('share_before', 0):.0%}, during {s.get('share_during', 0):.0%}.")
        targets.append((f"{drill['region']} stays in rotation (ready in every poll)", s.get("ready_polls", 0) > 0 and s.get("ready_ok") == s.get("ready_polls")))
        targets.append((f"{drill['region']} sheds part of its traffic", s.get("share_during", 1) < s.get("share_before", 0)))
        targets.append(("failed requests ≤ 0.1 %", ratio <= 0.001))
    lines.append("")
    if drill["scenario"] in ("region-outage", "db-outage"):
        targets.append(("detection ≤ 2 s", detection is not None and detection <= 2))
        targets.append(("RTO ≤ 5 s", rto is not None and rto <= 5))
        targets.append(("failed requests ≤ 0.1 %", ratio <= 0.001))
        targets.append(("no acknowledged order lost", not drill.get("lost")))
    if drill.get("distance"):
        lines += ["## Closest vs farthest region, by continent", "", "| continent | closest p50 / p99 | farthest p50 / p99 | p50 ratio |", "|---|---|---|---|"]
        for continent, pair in drill["distance"].items():
            near, far = pair["closest"], pair["farthest"]
            r = near[0] / far[0] if far[0] else 0
            lines.append(f"| {continent} | {near[0]:.1f} / {near[1]:.1f} ms | {far[0]:.1f} / {far[1]:.1f} ms ({pair['farthest_region']}) | {r:.2f} |")
            targets.append((f"{continent}: closest p50 ≤ ⅓ of farthest", r <= 1 / 3))
        lines.append("")
    targets.append(("drill ≤ 3 minutes", drill["took_s"] <= 180))
    lines += ["## Targets", ""] + [f"- {'✓' if ok else '✗'} {what}" for what, ok in targets]
    lines.append(f"\nThe drill took {drill['took_s']:.0f} s.")
    print("\n".join(lines))


def main():
    command = sys.argv[1]
    if command == "watch":
        watch(sys.argv[2], sys.argv[3:])
    elif command == "rpo":
        rpo(sys.argv[2], sys.argv[3], regions_of(sys.argv[4]), sys.argv[7:], sys.argv[5], float(sys.argv[6]))
    elif command == "converge":
        print(f"{converge(sys.argv[2], regions_of(sys.argv[3]), float(sys.argv[4])):.2f}")
    elif command == "lost":
        print(json.dumps(lost(sys.argv[2], regions_of(sys.argv[3]), sys.argv[4:])))
    elif command == "failover":
        failover(int(sys.argv[2]), float(sys.argv[3]), sys.argv[4])
    elif command == "assemble":
        assemble(sys.argv[2])
    elif command == "report":
        report(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
