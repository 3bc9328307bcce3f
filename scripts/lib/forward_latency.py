#!/usr/bin/env python3
"""What forwarding to a cart's home region costs: one cart homed in the first region, read N times through
each region's own address (the home serves it; the others forward it to the home), on kept-alive
connections. Prints p50 and p99 per region and the overhead against the home.

  forward_latency.py HOME_URL OTHER_URL... [--n 300]
"""
import http.client
import json
import sys
import time
import urllib.parse


def connect(url):
    parts = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)


def call(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.getheader("X-Region"), response.read()


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def main():
    args = sys.argv[1:]
    n = 300
    if "--n" in args:
        n = int(args[args.index("--n") + 1])
        del args[args.index("--n"):args.index("--n") + 2]
    home, others = args[0], args[1:]
    conn = connect(home)
    status, _, body = call(conn, "POST", "/v1/carts")
    assert status == 201, (status, body)
    cart = json.loads(body)
    headers = {"Cart-Token": cart["token"]}
    path = "/v1/carts/" + cart["id"]
    results = {}
    for url in [home] + others:
        conn = connect(url)
        call(conn, "GET", path, headers=headers)  # warm the connection and the forwarder's pool
        times, served = [], set()
        for _ in range(n):
            start = time.perf_counter()
            status, region, _ = call(conn, "GET", path, headers=headers)
            times.append((time.perf_counter() - start) * 1000)
            assert status == 200, status
            served.add(region)
        results[url] = (percentile(times, 0.5), percentile(times, 0.99), served)
    base50, base99, _ = results[home]
    for url, (p50, p99, served) in results.items():
        print(f"{url:28} served by {','.join(sorted(served)):14} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms"
              f"  overhead p50 {p50 - base50:+7.2f} ms  p99 {p99 - base99:+7.2f} ms")


main()
