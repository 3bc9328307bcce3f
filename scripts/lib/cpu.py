"""CPU seconds used so far, read from /proc: by processes, and by a whole PostgreSQL cluster.

    cpu.py PID PGDATA                prints two numbers: the process's CPU seconds, and the cluster's
    cpu.py --run FILE COMMAND ...    runs COMMAND and writes the CPU seconds it used to FILE (for a client
                                     that shares the machine: wrk, pgbench)

A cluster's CPU is its postmaster's, every live child's (backends, WAL writer, WAL senders, autovacuum) and,
through the postmaster's children's times, every child that has exited: a backend that lived for one
pgbench connection counts as much as one that lives for hours. Subtract two readings to get the CPU of
what ran between them.
"""

import os
import resource
import subprocess
import sys

TICKS = os.sysconf("SC_CLK_TCK")


def fields(pid):
    """/proc/PID/stat's fields after the command name (which may hold spaces): [0] is the state, field 3."""
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    return text[text.rindex(")") + 2 :].split()


def seconds(stat, children):
    # utime, stime (fields 14, 15); with children, cutime and cstime (16, 17): reaped children's times.
    used = int(stat[11]) + int(stat[12])
    if children:
        used += int(stat[13]) + int(stat[14])
    return used / TICKS


def process_seconds(pid):
    return seconds(fields(pid), children=True)


def cluster_seconds(pgdata):
    with open(os.path.join(pgdata, "postmaster.pid")) as f:
        postmaster = int(f.readline())
    # Children first, the postmaster last: a backend that exits in between is counted twice rather than not
    # at all, and the pool's and pgbench's backends live for the whole measurement.
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = fields(entry)
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(stat[1]) == postmaster:
            total += seconds(stat, children=True)
    return total + seconds(fields(postmaster), children=True)


def run(file, command):
    status = subprocess.run(command).returncode
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(file, "w") as f:
        f.write(f"{used.ru_utime + used.ru_stime:.3f}\n")
    return status


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--run":
        sys.exit(run(sys.argv[2], sys.argv[3:]))
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    print(f"{process_seconds(int(sys.argv[1])):.3f} {cluster_seconds(sys.argv[2]):.3f}")
