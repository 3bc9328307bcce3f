#!/usr/bin/env python3
"""The geo lab's numbers, from edge/regions: which continent each region is in, the round trip between two
regions (from the first's continent to the second), and the delay-proxy links and edge addresses for N
regions and the points of presence.

  geo.py links N     the --link arguments of `storefront delay-proxy`
  geo.py reach N POP the --reach arguments of that PoP's `storefront edge config`
  geo.py peer I J    where region I reaches region J: "HTTP-ADDRESS DB-ADDRESS"
  geo.py matrix N    the round trips, for people
"""
import sys

POPS = ["NA", "EU", "AS"]
CONTINENTS = ["NA", "SA", "EU", "AF", "AS", "OC"]


def table(path="edge/regions"):
    regions = []
    for line in open(path):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        name, address, _agent = fields[:3]
        host, port = address.split(":")
        rtt = {k: int(v) for k, v in (pair.split("=") for pair in fields[3:])}
        regions.append({"name": name, "host": host, "port": int(port), "rtt": rtt,
                        "home": min(CONTINENTS, key=lambda c: (rtt[c], c))})
    return regions


def pop_host(p):
    return f"127.0.0.{21 + p}"


def link_host(i):
    """The address region i's outgoing links listen on."""
    return f"127.0.0.{41 + i}"


def pg_port(j):
    return 55431 + j


def main():
    command, n = sys.argv[1], int(sys.argv[2])
    regions = table()[:n]
    if command == "links":
        links = []
        for p, continent in enumerate(POPS):
            for j, region in enumerate(regions):
                links.append(f"--link 127.0.0.{31 + p}:{9100 + j}={region['host']}:{region['port']}@{region['rtt'][continent] / 2}")
        for i, source in enumerate(regions):
            for j, target in enumerate(regions):
                if i == j:
                    continue
                half = target["rtt"][source["home"]] / 2
                links.append(f"--link {link_host(i)}:{9200 + j}={target['host']}:{target['port']}@{half}")
                links.append(f"--link {link_host(i)}:{9300 + j}={target['host']}:{pg_port(j)}@{half}")
        print(" ".join(links))
    elif command == "reach":
        p = POPS.index(sys.argv[3])
        print(" ".join(f"--reach {region['name']}=127.0.0.{31 + p}:{9100 + j}" for j, region in enumerate(regions)))
    elif command == "peer":
        i, j = n, int(sys.argv[3])
        print(f"{link_host(i)}:{9200 + j} {link_host(i)}:{9300 + j}")
    elif command == "matrix":
        names = [r["name"] for r in regions]
        print("round trips in ms: each point of presence to each region, then region to region")
        print(f"{'':14}" + "".join(f"{name:>14}" for name in names))
        for continent in POPS:
            print(f"{'PoP ' + continent:14}" + "".join(f"{r['rtt'][continent]:>14}" for r in regions))
        for source in regions:
            print(f"{source['name']:14}" + "".join(f"{(t['rtt'][source['home']] if t is not source else 0):>14}" for t in regions))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
