#!/usr/bin/env python3
"""Run a command and report the peak resident memory of it and of each process it starts.

    python bench/peak_memory.py [--every 0.5] -- mkdocs build -f mkdocs-full.yml -d /tmp/site

``wait4``'s ``ru_maxrss`` (what bench_build.py prints) is the largest of the
process and its children, so it cannot say whether the build or one of its
render workers peaked.  This polls ``/proc/<pid>/status`` of the command and
every descendant (``VmHWM``: each process' own high-water mark) and prints the
main process' peak, the largest worker's, and the largest sum of all of them at
one moment (forked workers share the pages they inherited, so the sum
overstates what the machine holds).  It also prints the largest sum of their
PSS at one moment (``/proc/<pid>/smaps_rollup``: each shared page counted once,
split among the processes that share it), which is what the build and its
workers hold together.  Linux only.  Not a test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out.extend(int(c) for c in fh.read().split())
    except OSError:
        pass
    return out


def _status(pid: int) -> dict[str, int]:
    found: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    found[key] = int(value.split()[0])
    except OSError:
        pass
    return found


def _pss(pid: int) -> int:
    """Proportional set size in KiB (shared pages split among their sharers); 0 when the process is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--every", type=float, default=0.5)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    command = a.command[1:] if a.command[:1] == ["--"] else a.command
    if not command:
        sys.exit("give a command after --")
    started = time.perf_counter()
    proc = subprocess.Popen(command)
    peak: dict[int, int] = {}
    worst_sum = worst_pss = 0
    while proc.poll() is None:
        tree, todo = [], [proc.pid]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(_children(pid))
        total = pss = 0
        for pid in tree:
            st = _status(pid)
            if st:
                peak[pid] = max(peak.get(pid, 0), st.get("VmHWM", 0))
                total += st.get("VmRSS", 0)
                pss += _pss(pid)
        worst_sum = max(worst_sum, total)
        worst_pss = max(worst_pss, pss)
        time.sleep(a.every)
    seconds = time.perf_counter() - started
    main_peak = peak.get(proc.pid, 0)
    workers = [v for pid, v in peak.items() if pid != proc.pid]
    print(f"exit {proc.returncode} after {seconds:.1f} s; peak RSS: main {main_peak / 1024:.0f} MiB, "
          f"largest of {len(workers)} other processes {max(workers, default=0) / 1024:.0f} MiB, "
          f"largest sum at one moment {worst_sum / 1024:.0f} MiB (PSS {worst_pss / 1024:.0f} MiB)", flush=True)
    sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
