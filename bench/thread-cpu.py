#!/usr/bin/env python3
"""CPU per thread group of the Strata standalone and the perf tool, sampled from /proc.

Prints one line per interval with the clock ticks (1/100 s) each group used since the last
sample, e.g. "12:35:47.740 srv:strata-grpc=1 tool:C2=7 tool:GC=9 tool:java=3", so that a latency
timeline (bench/run-latency-timeline.sh) can be read against who had the cores: JIT compiler
threads (C1, C2), GC threads, the application thread ("java" in the tool), the producer's
threads, the node's gRPC threads. Threads are grouped by name without their trailing number.

    bench/thread-cpu.py [interval_s (0.1)] [duration_s (120)] [output (stdout)]
"""
import datetime
import os
import re
import sys
import time


def group(comm):
    if comm.startswith('C2 Comp'):
        return 'C2'
    if comm.startswith('C1 Comp'):
        return 'C1'
    if comm.startswith('GC Thr') or comm.startswith('G1'):
        return 'GC'
    return re.sub(r'[-#]?\d+$', '', comm)


def role(pid):
    """'srv' for a standalone, 'tool' for `strata perf`, None for any other process."""
    try:
        cmdline = open(f'/proc/{pid}/cmdline', 'rb').read().decode(errors='replace')
    except OSError:
        return None
    if 'java' not in cmdline:
        return None
    if 'standalone' in cmdline:
        return 'srv'
    if 'perf' in cmdline:
        return 'tool'
    return None


def sample():
    ticks = {}
    for pid in filter(str.isdigit, os.listdir('/proc')):
        who = role(pid)
        if who is None:
            continue
        try:
            tids = os.listdir(f'/proc/{pid}/task')
        except OSError:
            continue
        for tid in tids:
            try:
                stat = open(f'/proc/{pid}/task/{tid}/stat').read()
            except OSError:
                continue
            comm = stat[stat.index('(') + 1:stat.rindex(')')]
            fields = stat[stat.rindex(')') + 2:].split()
            ticks[(who, tid, group(comm))] = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks


def main():
    interval = float(sys.argv[1]) if len(sys.argv) > 1 else 0.1
    duration = float(sys.argv[2]) if len(sys.argv) > 2 else 120
    out = open(sys.argv[3], 'w') if len(sys.argv) > 3 else sys.stdout
    previous = {}
    end = time.time() + duration
    while time.time() < end:
        current = sample()
        used = {}
        for key, t in current.items():
            if key in previous and t > previous[key]:  # a thread's first sample only sets its baseline
                used[(key[0], key[2])] = used.get((key[0], key[2]), 0) + t - previous[key]
        previous = current
        if used:
            now = datetime.datetime.now(datetime.timezone.utc).strftime('%H:%M:%S.%f')[:-3]
            out.write(now + ' ' + ' '.join(f'{w}:{g}={v}' for (w, g), v in sorted(used.items())) + '\n')
            out.flush()
        time.sleep(interval)


if __name__ == '__main__':
    main()
