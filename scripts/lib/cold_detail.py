#!/usr/bin/env python3
"""What a product page costs when the region does not hold the product: each id read once, in turn, on one
kept-alive connection, then the same ids again (now held). Prints `p50 p99 p50-held` in milliseconds; fails
on any answer other than 200.

  cold_detail.py URL IDS_FILE
"""
import http.client
import sys
import time
import urllib.parse


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def timings(conn, ids):
    elapsed = []
    for product in ids:
        start = time.perf_counter()
        conn.request("GET", f"/v1/products/{product}")
        response = conn.getresponse()
        response.read()
        elapsed.append((time.perf_counter() - start) * 1000)
        if response.status != 200:
            sys.exit(f"/v1/products/{product}: {response.status}")
    return elapsed


def main():
    url, ids_file = sys.argv[1], sys.argv[2]
    ids = [line.strip() for line in open(ids_file) if line.strip()]
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    cold = timings(conn, ids)
    held = timings(conn, ids)
    print(f"{percentile(cold, 0.5):.2f} {percentile(cold, 0.99):.2f} {percentile(held, 0.5):.2f}")


if __name__ == "__main__":
    main()
