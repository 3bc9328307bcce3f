#!/usr/bin/env python3
"""The fault catalogue, run by `scripts/drill faults`: each fault injected into one region of the lab under
a light shopper load, one at a time, and measured from the region's own /health.

  faults.py run LAB BIN REGION INDEX PEER PEER_INDEX OUT.json [NAME,...]
  faults.py report OUT.json

For each fault: the time until /health names the expected root signal, every other root signal it named
meanwhile (a wrong diagnosis), whether readiness did what the flows need (the unready flows, exactly), and
the time back to healthy (no root signal left) after the fault is removed.
"""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from drill import PG_BIN, psql  # noqa: E402

FLOWS = ["browse", "cart", "checkout", "order_history"]
POLL_S = 0.1
DETECT_TIMEOUT_S = 12
HOLD_S = 4
RECOVER_TIMEOUT_S = 45
# The targets the issue sets: an unambiguous failure named within 1 s, a slow, saturated or lagging one
# within 5 s, healthy again within 2 s of the fault's end.
TARGET_NAMED_S = {"unambiguous": 1.0, "gradual": 5.0}
TARGET_HEALTHY_S = 2.0


class Region:
    def __init__(self, lab, binary, name, index):
        self.lab, self.binary, self.name, self.index = lab, binary, name, index
        self.url = f"http://127.0.0.{11 + index}:{8081 + index}"
        self.pg = f"{lab}/{name}/pg"
        self.token = open(f"{lab}/observer-token").read().strip()

    def get(self, path, token=True):
        request = urllib.request.Request(self.url + path)
        if token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=1) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except Exception:
            return None, b""

    def health(self):
        status, body = self.get("/health")
        try:
            return json.loads(body) if status else None
        except ValueError:
            return None

    def sql(self, statement):
        return psql(self.lab, self.name, self.index, statement)

    def postgres_pids(self):
        with open(f"{self.pg}/data/postmaster.pid") as file:
            postmaster = int(file.readline())
        children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True).stdout.split()
        return [postmaster] + [int(pid) for pid in children]

    def pg_ctl(self, *arguments):
        command = [f"{PG_BIN}/pg_ctl", "-D", f"{self.pg}/data", "-l", f"{self.pg}/log", "-w", "-t", "60", *arguments]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--"] + command
        subprocess.run(command, check=True, capture_output=True)

    def start_database(self):
        # After a kill -9 the old backends need a moment to notice their postmaster is gone.
        for _ in range(100):
            try:
                return self.pg_ctl("start")
            except subprocess.CalledProcessError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name}'s PostgreSQL did not start again")

    def storefront_pid(self):
        return int(open(f"{self.lab}/{self.name}/storefront.pid").read())

    def lab_command(self, *arguments):
        subprocess.run(["scripts/lab", *arguments], check=True, capture_output=True)


def roots(document):
    region = next((node for node in document.get("nodes", []) if node["id"] == "region"), None)
    return set(region["root_signals"]) if region else set()


def region_status(document):
    region = next((node for node in document.get("nodes", []) if node["id"] == "region"), None)
    return region["status"] if region else "unknown"


class Held:
    """A psql session kept open (a transaction holding locks), ended by `end`."""

    def __init__(self, region, statements):
        command = ["psql", "-X", "-q", "-h", f"{region.pg}/run", "-p", str(55431 + region.index), "-U", "postgres",
                   "-d", "storefront"]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--"] + command
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        text=True)
        self.process.stdin.write(statements + "\n")
        self.process.stdin.flush()

    def end(self):
        try:
            self.process.stdin.write("ROLLBACK;\n\\q\n")
            self.process.stdin.flush()
            self.process.wait(timeout=10)
        except Exception:
            self.process.kill()


def catalogue(region, peer):
    """Each fault: what it is, its class, how it is injected and removed, the root signals that name it
    (exact names, or prefixes ending in '.'), and the flows that must be unready while it lasts."""
    database = ["database."]
    every_flow = FLOWS
    subscription = f"from_{peer.name.replace('-', '_')}"
    held = {}
    paused = []

    def stop():
        region.pg_ctl("stop", "-m", "fast")

    def crash():
        os.kill(region.postgres_pids()[0], signal.SIGKILL)

    def freeze():
        paused[:] = region.postgres_pids()
        for pid in paused:
            os.kill(pid, signal.SIGSTOP)

    def thaw():
        for pid in paused:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass

    def lock_stock():
        held["stock"] = Held(region, "BEGIN; SELECT sku FROM stock FOR UPDATE;")

    def revoke():
        region.sql("REVOKE INSERT, UPDATE ON heartbeats FROM storefront")

    def grant():
        region.sql("GRANT INSERT, UPDATE ON heartbeats TO storefront")

    def slow(milliseconds):
        # The link the drill put between the storefront and its database, by its delays file.
        delays = os.environ["FAULTS_DB_DELAYS"]
        link = open(delays).read().split()[0]
        with open(delays + ".new", "w") as file:
            file.write(f"{link} {milliseconds}\n")
        os.replace(delays + ".new", delays)

    def exhaust_connections():
        # The server refuses the role's new connections with SQLSTATE 53300, as it refuses anyone's when
        # another client holds every slot; the sessions it had are ended, as a pool's recycle would end them.
        region.sql("ALTER ROLE storefront CONNECTION LIMIT 0")
        region.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'storefront'")

    def starve():
        os.kill(region.storefront_pid(), signal.SIGSTOP)
        time.sleep(2)
        os.kill(region.storefront_pid(), signal.SIGCONT)

    return [
        {"name": "db-stopped", "what": "the region's PostgreSQL stopped (fast shutdown)", "class": "unambiguous",
         "inject": stop, "remove": region.start_database, "roots": database, "unready": every_flow},
        {"name": "db-crashed", "what": "the region's postmaster killed (kill -9)", "class": "unambiguous",
         "inject": crash, "remove": region.start_database, "roots": database, "unready": every_flow},
        {"name": "db-frozen", "what": "every PostgreSQL process of the region stopped (SIGSTOP)", "class": "unambiguous",
         "inject": freeze, "remove": thaw, "roots": database, "unready": every_flow},
        {"name": "db-slow", "what": "every round trip to the database 150 ms slower each way", "class": "gradual",
         "inject": lambda: slow(150), "remove": lambda: slow(0),
         "roots": ["database.read_latency", "database.write_latency"], "unready": []},
        {"name": "out-of-connections", "what": "no connection left for the app: its role limited to none, and "
                                               "its sessions ended (as when another client took every slot)",
         "class": "gradual", "inject": exhaust_connections,
         "remove": lambda: region.sql("ALTER ROLE storefront CONNECTION LIMIT -1"), "roots": database,
         "unready": every_flow},
        {"name": "stock-locked", "what": "every stock row locked by a transaction that does not end", "class": "gradual",
         "inject": lock_stock, "remove": lambda: held.pop("stock").end(),
         "roots": ["api.checkout."], "unready": []},
        {"name": "privilege-revoked", "what": "INSERT and UPDATE on heartbeats revoked from the app's role",
         "class": "unambiguous", "inject": revoke, "remove": grant,
         "roots": ["database.write_latency"], "unready": ["cart", "checkout"]},
        {"name": "table-renamed", "what": "the heartbeats table renamed", "class": "unambiguous",
         "inject": lambda: region.sql("ALTER TABLE heartbeats RENAME TO heartbeats_away"),
         "remove": lambda: region.sql("ALTER TABLE heartbeats_away RENAME TO heartbeats"),
         # The table is replicated: the peers' heartbeats cannot be applied here either, a second failure of
         # the same fault that the on-call must see too.
         "roots": ["database.write_latency", "replication."], "unready": ["cart", "checkout"]},
        {"name": "subscription-disabled", "what": f"the subscription from {peer.name} disabled", "class": "unambiguous",
         "inject": lambda: region.sql(f"ALTER SUBSCRIPTION {subscription} DISABLE"),
         "remove": lambda: region.sql(f"ALTER SUBSCRIPTION {subscription} ENABLE"),
         "roots": [f"replication.{peer.name}.subscription"], "unready": []},
        {"name": "peer-stopped", "what": f"the peer region {peer.name} lost (its storefront and database)",
         "class": "unambiguous",
         "inject": lambda: peer.lab_command("stop-region", peer.name),
         "remove": lambda: peer.lab_command("start-region", peer.name),
         "roots": [f"peers.{peer.name}.", f"replication.{peer.name}."], "unready": []},
        {"name": "storefront-starved", "what": "the storefront itself stopped (SIGSTOP) for 2 s, then continued",
         "class": "unambiguous", "inject": starve, "remove": lambda: None, "roots": [], "unready": None},
    ]


def matches(name, patterns):
    return any(name == pattern or (pattern.endswith(".") and name.startswith(pattern)) for pattern in patterns)


def wait_healthy(region, timeout, seen=None):
    """Seconds until the region is healthy with no root signal, or None; `seen` collects the roots named on
    the way, and the seconds until every flow was ready again."""
    start = time.time()
    while time.time() - start < timeout:
        document = region.health()
        if document:
            if seen is not None:
                for root in roots(document):
                    seen.setdefault("roots", {})[root] = round(time.time() - start, 2)
                if "ready_s" not in seen and document.get("ready"):
                    seen["ready_s"] = time.time() - start
            if region_status(document) == "healthy" and not roots(document):
                return time.time() - start
        time.sleep(POLL_S)
    return None


def ready_flows(region):
    return [flow for flow in FLOWS if region.get(f"/health/ready/{flow}", token=False)[0] == 200]


def measure(region, fault):
    result = {"name": fault["name"], "what": fault["what"], "class": fault["class"], "expected_roots": fault["roots"],
              "expected_unready": fault["unready"]}
    before = wait_healthy(region, 60)
    if before is None:
        document = region.health() or {}
        result["error"] = f"not healthy before the fault: roots {sorted(roots(document))}"
        return result
    seen, named_after = set(), None
    start = time.time()
    fault["inject"]()
    result["inject_s"] = round(time.time() - start, 3)
    if not fault["roots"]:
        # A fault that is over when its injection ends (a process paused and continued): nothing may be
        # named a root cause as the region gets back to healthy.
        while time.time() - start < RECOVER_TIMEOUT_S:
            document = region.health()
            if document:
                seen |= roots(document)
                if region_status(document) == "healthy" and not roots(document):
                    break
            time.sleep(POLL_S)
        result.update(named_after_s=None, named_roots=sorted(seen), wrong_roots=sorted(seen), unready=[],
                      readiness_as_expected=True, remove_s=0.0)
        healthy = time.time() - start - result["inject_s"]
        result["healthy_after_s"] = round(healthy, 3) if time.time() - start < RECOVER_TIMEOUT_S else None
        return result
    # Watched until named, and for HOLD_S more: a wrong root may come later in the fault (a flow's errors
    # piling up while the database is down).
    while time.time() - start < DETECT_TIMEOUT_S and (named_after is None or time.time() - start < named_after + HOLD_S):
        document = region.health()
        if document:
            now_roots = roots(document)
            seen |= now_roots
            if named_after is None and any(matches(r, fault["roots"]) for r in now_roots):
                named_after = time.time() - start
        time.sleep(POLL_S)
    # Readiness once the diagnosis is in: the flows that must be unready are, and only they.
    unready = [flow for flow in FLOWS if flow not in ready_flows(region)]
    document = region.health() or {}
    seen |= roots(document)
    result["named_after_s"] = None if named_after is None else round(named_after, 3)
    result["named_roots"] = sorted(seen)
    result["wrong_roots"] = sorted(r for r in seen if not matches(r, fault["roots"]))
    result["unready"] = unready
    result["readiness_as_expected"] = fault["unready"] is None or sorted(unready) == sorted(fault["unready"])
    removed = time.time()
    fault["remove"]()
    result["remove_s"] = round(time.time() - removed, 3)
    recovery = {}
    healthy = wait_healthy(region, RECOVER_TIMEOUT_S, recovery)
    result["healthy_after_s"] = None if healthy is None else round(healthy, 3)
    result["ready_after_s"] = round(recovery["ready_s"], 3) if "ready_s" in recovery else None
    # What kept it from healthy meanwhile: the fault's own roots recovering, or others.
    # What kept it from healthy meanwhile, each with the last second it was named a root.
    result["recovery_roots"] = dict(sorted(recovery.get("roots", {}).items(), key=lambda item: -item[1]))
    return result


def verdict(result):
    if "error" in result:
        return [result["error"]]
    failures = []
    target = TARGET_NAMED_S[result["class"]]
    if result["expected_roots"]:
        if result["named_after_s"] is None:
            failures.append("never named")
        elif result["named_after_s"] > target:
            failures.append(f"named after {result['named_after_s']} s (target {target} s)")
    if result["wrong_roots"]:
        failures.append("wrong roots " + ", ".join(result["wrong_roots"]))
    if not result["readiness_as_expected"]:
        failures.append(f"unready {result['unready'] or 'none'}, expected {result['expected_unready'] or 'none'}")
    if result["healthy_after_s"] is None:
        failures.append("not healthy again")
    elif result["healthy_after_s"] > TARGET_HEALTHY_S:
        failures.append(f"healthy after {result['healthy_after_s']} s (target {TARGET_HEALTHY_S} s)")
    return failures


def run(lab, binary, name, index, peer_name, peer_index, out, only):
    region, peer = Region(lab, binary, name, int(index)), Region(lab, binary, peer_name, int(peer_index))
    faults = catalogue(region, peer)
    known = [fault["name"] for fault in faults]
    chosen = only.split(",") if only else known
    unknown = [n for n in chosen if n not in known]
    if unknown:
        sys.exit(f"unknown fault {', '.join(unknown)}; known: {', '.join(known)}")
    results = []
    for fault in (f for f in faults if f["name"] in chosen):
        print(f"fault {fault['name']}: {fault['what']}", file=sys.stderr, flush=True)
        try:
            result = measure(region, fault)
        except Exception as error:  # a fault that cannot be injected is a finding, and the rest still run
            result = {"name": fault["name"], "what": fault["what"], "class": fault["class"], "error": str(error)}
        result["failures"] = verdict(result)
        results.append(result)
        print(f"  {json.dumps(result)}", file=sys.stderr, flush=True)
    json.dump({"region": name, "peer": peer_name, "faults": results,
               "targets": {"named_s": TARGET_NAMED_S, "healthy_s": TARGET_HEALTHY_S}}, open(out, "w"), indent=1)


def report(path):
    data = json.load(open(path))
    print(f"# Fault catalogue: {data['region']} (peer {data['peer']})\n")
    print("| fault | expected root | named after | wrong roots | unready flows | ready again after | healthy again after "
          "| roots while recovering (last named) | verdict |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in data["faults"]:
        def seconds(value):
            return "—" if value is None else f"{value:.2f} s"
        expected = ", ".join(r.get("expected_roots") or []) or "none"
        unready = ", ".join(r.get("unready") or []) or "none"
        print(f"| {r['name']} | {expected} | {seconds(r.get('named_after_s'))} | {', '.join(r.get('wrong_roots') or []) or 'none'} "
              f"| {unready} | {seconds(r.get('ready_after_s'))} | {seconds(r.get('healthy_after_s'))} "
              f"| {', '.join(f'{k} ({v} s)' for k, v in (r.get('recovery_roots') or {}).items()) or 'none'} "
              f"| {'; '.join(r['failures']) or 'met'} |")
    failed = [r["name"] for r in data["faults"] if r["failures"]]
    print(f"\nTargets: unambiguous failures named within {data['targets']['named_s']['unambiguous']} s, gradual ones within "
          f"{data['targets']['named_s']['gradual']} s, no wrong root, healthy within {data['targets']['healthy_s']} s of the "
          f"fault's end.")
    print(f"Faults that missed a target: {', '.join(failed) if failed else 'none'}")


if __name__ == "__main__":
    if len(sys.argv) >= 9 and sys.argv[1] == "run":
        run(*sys.argv[2:9], sys.argv[9] if len(sys.argv) > 9 else "")
    elif len(sys.argv) == 3 and sys.argv[1] == "report":
        report(sys.argv[2])
    else:
        sys.exit(__doc__)
