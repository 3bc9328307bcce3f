"""Turns a `perf record -g` of the storefront into two files a person (or a flame graph tool) can read:

    profile.py PERF_DATA BASE MEASUREMENT COMMIT

BASE.txt    where the time went, flat: each binary's share (the kernel's is mostly context switches and
            socket calls), then the top symbols by their own samples, Swift names demangled
BASE.folded the call stacks, folded (root;...;leaf COUNT), demangled: input for flamegraph.pl or speedscope
"""

import collections
import subprocess
import sys


def demangle(text):
    done = subprocess.run(["swift", "demangle", "--simplified"], input=text, capture_output=True, text=True)
    return done.stdout if done.returncode == 0 else text


def report(data, sort, limit):
    """perf report's table without its comment lines (`# ...`): the header has the sample count."""
    text = subprocess.run(
        ["perf", "report", "-i", data, "--stdio", "--no-children", "-g", "none", "--sort", sort, "--percent-limit", limit],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return "".join(line + "\n" for line in text.splitlines() if line.strip() and not line.startswith("#"))


def folded(data):
    """perf script's samples, each a header line and then one frame a line, leaf first."""
    script = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym,dso"], capture_output=True, text=True, check=True).stdout
    stacks = collections.Counter()
    frames = []
    for line in script.splitlines() + [""]:
        line = line.strip()
        if not line:
            if frames:
                stacks[";".join(reversed(frames))] += 1
            frames = []
            continue
        parts = line.split(None, 1)
        if len(parts) < 2:
            continue
        symbol = parts[1].rsplit(" (", 1)[0]
        # Unresolved frames keep their binary's name: "[unknown]" alone says nothing.
        if symbol == "[unknown]":
            symbol = "[" + parts[1].rsplit("(", 1)[-1].rstrip(")").rsplit("/", 1)[-1] + "]"
        frames.append(symbol.replace(";", ","))
    return "".join(f"{stack} {count}\n" for stack, count in stacks.most_common())


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    data, base, measurement, commit = sys.argv[1:]
    samples = subprocess.run(["perf", "report", "-i", data, "--stdio", "--header-only"], capture_output=True, text=True).stdout
    header = f"# {measurement}, commit {commit}: perf record -F 499 -g -p <storefront> during the measurement\n"
    header += "".join(line[2:] + "\n" for line in samples.splitlines() if "sample" in line.lower() and "duration" in line.lower())
    with open(base + ".txt", "w") as out:
        out.write(header)
        out.write("\n## By binary (self time)\n\n")
        out.write(report(data, "dso", "0.5"))
        out.write("\n## Top symbols (self time), demangled\n\n")
        out.write(demangle(report(data, "dso,sym", "0.4")))
    with open(base + ".folded", "w") as out:
        out.write(demangle(folded(data)))


if __name__ == "__main__":
    main()
