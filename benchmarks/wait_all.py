#!/usr/bin/env python3
"""Waiting on many jobs: `rt.jobs.wait_all(jobs)` against a `job.wait()` loop, on the emulator.

    python benchmarks/wait_all.py [--jobs 1000]

Each mode gets its own batch of freshly submitted jobs (same circuit, same emulator, jobs that
take no time beyond their execution), then waits until every job is final. Reported per mode:
the requests the emulator served while waiting (counted in its request journal), the wall time
from the end of submission to the return, and the ratio against the loop measured in the same
run. The emulator runs one job at a time, so both modes wait for the same execution.
"""

from __future__ import annotations

import argparse
import time

from qiskit_runtime_emulator import Emulator, JobDelays
from qiskit_runtime_rest import RuntimeClient

QASM = 'OPENQASM 3.0; include "stdgates.inc"; bit[2] c; x $0; c[0] = measure $0; c[1] = measure $1;'


def _batch(rt: RuntimeClient, count: int) -> list:  # type: ignore[type-arg]
    return [rt.jobs.run_sampler("ibm_fez", [QASM], shots=10) for _ in range(count)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=1000)
    args = parser.parse_args(argv)
    figures: dict[str, tuple[int, float]] = {}
    with Emulator(job_delays=JobDelays(queued=0.0, running=0.0), seed=1) as emu:
        rt = RuntimeClient(
            api_key=emu.api_key, crn=emu.crn, base_url=emu.base_url, iam_url=emu.iam_url
        )
        with rt:
            for mode in ("job.wait() loop", "wait_all"):
                jobs = _batch(rt, args.jobs)
                mark, start = emu.journal.last_seq, time.perf_counter()
                if mode == "wait_all":
                    rt.jobs.wait_all(jobs)
                else:
                    for job in jobs:
                        job.wait()
                elapsed = time.perf_counter() - start
                figures[mode] = (len(emu.journal.entries(since=mark)), elapsed)
    loop_requests, loop_seconds = figures["job.wait() loop"]
    print(f"waiting on {args.jobs} jobs on the emulator (requests counted by its journal)")
    for mode, (requests, seconds) in figures.items():
        print(
            f"  {mode:<16} {requests:6d} requests ({requests / loop_requests:5.1%} of the loop)"
            f"   {seconds:7.1f} s ({seconds / loop_seconds:4.2f}x the loop)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
