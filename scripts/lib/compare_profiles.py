"""Which frames cost more per unit of work in one profile than in another (two of scripts/bench's .folded files):

    compare_profiles.py BEFORE.folded BEFORE_UNITS AFTER.folded AFTER_UNITS [--top N]

UNITS is the work each profile covered (requests or journeys: the bench's rate times its seconds), so two
runs of different throughput compare per unit. Prints the samples per unit of each side, then the frames
whose inclusive and self samples per unit rose most. A change to one path shows as a few frames rising;
a machine that ran slower shows as every layer rising together, changed code or not.
"""

import collections
import sys


def per_unit(path, units):
    inclusive, own, total = collections.Counter(), collections.Counter(), 0
    with open(path) as lines:
        for line in lines:
            stack, count = line.rstrip("\n").rsplit(" ", 1)
            count = int(count)
            frames = stack.split(";")
            total += count
            # A frame counts once per stack however deep it recurses.
            for frame in set(frames):
                inclusive[frame] += count
            own[frames[-1]] += count
    scale = 1 / units
    return ({k: v * scale for k, v in inclusive.items()}, {k: v * scale for k, v in own.items()}, total * scale)


def main():
    args = sys.argv[1:]
    top = 20
    if len(args) == 6 and args[4] == "--top":
        top = int(args[5])
        args = args[:4]
    if len(args) != 4:
        sys.exit(__doc__)
    try:
        before_units, after_units = float(args[1]), float(args[3])
    except ValueError:
        sys.exit("UNITS must be numbers: " + __doc__)
    if before_units <= 0 or after_units <= 0:
        sys.exit("UNITS must be above zero")
    before = per_unit(args[0], before_units)
    after = per_unit(args[2], after_units)
    print(f"samples per unit: before {before[2]:.3f}, after {after[2]:.3f} ({after[2] / before[2] - 1:+.0%})")
    for title, b, a in (("inclusive", before[0], after[0]), ("self", before[1], after[1])):
        print(f"\n{title}: the largest rises per unit (after - before: before -> after)")
        rises = sorted(set(b) | set(a), key=lambda frame: b.get(frame, 0) - a.get(frame, 0))
        for frame in rises[:top]:
            print(f"  {a.get(frame, 0) - b.get(frame, 0):+.3f}  {b.get(frame, 0):.3f} -> {a.get(frame, 0):.3f}  {frame[:140]}")


if __name__ == "__main__":
    main()
