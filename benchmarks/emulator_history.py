#!/usr/bin/env python3
"""Does every emulator route cost the same after 20,000 jobs as after a handful?

    python benchmarks/emulator_history.py [--jobs 20000] [--requests 30]

One emulator, one authenticated httpx client over loopback. Each route is timed (median of
``--requests`` calls) at a baseline of a few real jobs, then again each time the store has grown
to 5,000, 10,000 and ``--jobs`` jobs; the report gives each route's time as a ratio of its own
baseline in the same run (1.0 = flat). History is added straight into the store, through the same
``save_job``/``save_session`` calls the service uses (so every index is maintained), as finished
jobs with results, tags, and one session in ten: running 20,000 jobs through qiskit would measure
the simulator, not the routes. Takes about a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from qiskit_runtime_emulator import Emulator, JobDelays
from qiskit_runtime_emulator._ids import new_id
from qiskit_runtime_emulator._store import JobRecord, SessionRecord

QASM = 'OPENQASM 3.0; include "stdgates.inc"; bit[1] c; x $0; c[0] = measure $0;'
RESULT = '{"results":[{"data":{"c":{"samples":["0x1"],"num_bits":1}},"metadata":{}}]}'


def add_history(emulator: Emulator, count: int, user: str) -> None:
    store = emulator.service.store
    now = time.time()
    session_id: str | None = None
    with store.lock:
        for index in range(count):
            if index % 100 == 0:
                session_id = new_id()
                store.save_session(
                    SessionRecord(
                        id=session_id,
                        mode="batch",
                        backend_name="ibm_fez",
                        max_ttl=28800,
                        interactive_ttl=60,
                        active_ttl=28800,
                        user_id=user,
                        started_at=now,
                        timestamps=[("open", now)],
                    )
                )
            in_session = index % 10 == 0
            store.save_job(
                JobRecord(
                    id=new_id(),
                    program_id="sampler",
                    backend="ibm_fez" if index % 2 else "ibm_pittsburgh",
                    params={"pubs": [QASM], "version": 2},
                    created=time.time(),
                    user_id=user,
                    status="Completed",
                    session_id=session_id if in_session else None,
                    tags=[f"qrr-idem-{new_id()}", "history"],
                    running_at=now,
                    finished_at=now,
                    result=RESULT,
                    quantum_seconds=1,
                    execution_time_ns=250_000,
                )
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    checkpoints = sorted({min(5_000, args.jobs), min(10_000, args.jobs), args.jobs})

    with Emulator(job_delays=JobDelays(0, 0), seed=1) as emu:
        token = httpx.post(
            f"{emu.iam_url}/identity/token",
            data={"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": emu.api_key},
        ).json()["access_token"]
        headers = {
            "Authorization": f"Bearer {token}",
            "Service-CRN": emu.crn,
            "IBM-API-Version": "2026-04-15",
        }
        client = httpx.Client(base_url=f"{emu.base_url}/v1", headers=headers, timeout=60)
        user = emu.service.issuer.verify(token) or ""
        # A few real jobs (and a session) the routes can name.
        session = client.post("/sessions", json={"mode": "batch", "backend": "ibm_fez"}).json()
        job_ids = [
            client.post(
                "/jobs",
                json={
                    "program_id": "sampler",
                    "backend": "ibm_fez",
                    "params": {"pubs": [QASM]},
                    "session_id": session["id"],
                    "tags": ["mine"],
                },
            ).json()["id"]
            for _ in range(3)
        ]
        while client.get(f"/jobs/{job_ids[-1]}").json()["status"] != "Completed":
            time.sleep(0.05)
        job = job_ids[0]
        account = emu.config.account_id
        hour_ago = datetime.fromtimestamp(time.time() - 3600, UTC).isoformat()
        routes: dict[str, Callable[[], httpx.Response]] = {
            "GET /versions": lambda: client.get("/versions"),
            "GET /jobs": lambda: client.get("/jobs", params={"limit": 20}),
            "GET /jobs?tags (idempotency lookup)": lambda: client.get(
                "/jobs", params={"tags": "mine"}
            ),
            "GET /jobs?pending=true": lambda: client.get("/jobs", params={"pending": "true"}),
            "GET /jobs/{id}": lambda: client.get(f"/jobs/{job}"),
            "GET /jobs/{id}/results": lambda: client.get(f"/jobs/{job}/results"),
            "GET /jobs/{id}/logs": lambda: client.get(f"/jobs/{job}/logs"),
            "GET /jobs/{id}/metrics": lambda: client.get(f"/jobs/{job}/metrics"),
            "GET /tags?search": lambda: client.get(
                "/tags", params={"type": "job", "search": "min"}
            ),
            "POST /jobs (accepted, then fails fast)": lambda: client.post(
                "/jobs", json={"program_id": "noise-learner", "backend": "ibm_emulator"}
            ),
            "GET /sessions/{id}": lambda: client.get(f"/sessions/{session['id']}"),
            "GET /backends": lambda: client.get("/backends"),
            "GET /backends/{id}/status": lambda: client.get("/backends/ibm_fez/status"),
            "GET /backends/{id}/properties": lambda: client.get("/backends/ibm_fez/properties"),
            "GET /instance": lambda: client.get("/instance"),
            "GET /instances/usage": lambda: client.get("/instances/usage"),
            "GET /instances/configuration": lambda: client.get("/instances/configuration"),
            "GET /accounts/{id}": lambda: client.get(f"/accounts/{account}"),
            "GET /workloads": lambda: client.get("/workloads"),
            "GET /analytics/usage": lambda: client.get("/analytics/usage"),
            "GET /analytics/usage_grouped": lambda: client.get(
                "/analytics/usage_grouped", params={"group_by": "backend"}
            ),
            "GET /analytics/usage (the last hour)": lambda: client.get(
                "/analytics/usage", params={"interval_start": hour_ago}
            ),
            "GET /analytics/usage_grouped_by_date": lambda: client.get(
                "/analytics/usage_grouped_by_date", params={"group_by": "instance"}
            ),
            "GET /analytics/filters": lambda: client.get("/analytics/filters"),
        }

        def measure() -> dict[str, float]:
            timings = {}
            for name, call in routes.items():
                samples = []
                for _ in range(args.requests):
                    start = time.perf_counter()
                    response = call()
                    samples.append(time.perf_counter() - start)
                    assert response.status_code < 300, (name, response.text[:200])
                timings[name] = statistics.median(samples)
            return timings

        measure()  # warm up: first calls build cached documents
        baseline = measure()
        columns = []
        stored = len(emu.service.store.jobs)
        for target in checkpoints:
            add_history(emu, target - stored, user)
            stored = target
            columns.append((target, measure()))
        client.close()

    width = max(len(name) for name in routes)
    header = f"{'route':<{width}}  {'baseline':>9}" + "".join(
        f"  {target:>7,} jobs" for target, _ in columns
    )
    print(header)
    print("-" * len(header))
    for name in routes:
        ratios = "".join(f"  {timings[name] / baseline[name]:>11.2f}x" for _, timings in columns)
        print(f"{name:<{width}}  {baseline[name] * 1000:>7.2f}ms{ratios}")
    worst = max(timings[name] / baseline[name] for _, timings in columns for name in routes)
    print(f"\nworst ratio at any checkpoint: {worst:.2f}x the route's own baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
