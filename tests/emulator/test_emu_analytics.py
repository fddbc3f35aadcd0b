"""``/v1/analytics/*`` read the store's aggregates; they must answer what a scan of the jobs gives.

The reference below is the brute-force definition (every job of the interval, filtered, then
counted; sums exact, as ``math.fsum`` gives them). Random histories are built straight in a
``Store``, changed the ways the service changes jobs (finished, re-queued, deleted), and every
analytics route is compared with the reference over intervals that start and end on jobs,
seconds, days and the coarser buckets, with each filter.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from qiskit_runtime_emulator import _reports as reports
from qiskit_runtime_emulator._analytics import WIDTHS
from qiskit_runtime_emulator._constants import DEFAULT_PLAN_ID, DEFAULT_SUBSCRIPTION_ID
from qiskit_runtime_emulator._ids import format_time
from qiskit_runtime_emulator._params import time_param
from qiskit_runtime_emulator._store import JobRecord, SessionRecord, Store
from starlette.datastructures import QueryParams

CRN = "crn:v1:bluemix:public:quantum-computing:us-east:a/abc:inst::"
BACKENDS = ("ibm_fez", "ibm_pittsburgh", "ibm_emulator")
USERS = ("IBMid-alice", "IBMid-bob")
DAY = 86400.0
# A Saturday midnight (UTC) that is also a 16-day and a 256-day bucket boundary, so histories
# straddle every level of the grid.
ORIGIN = float(WIDTHS[-1] * (1_780_000_000 // WIDTHS[-1]))


# ------------------------------------------------------------------------- the reference


def _stats(count: int, values: list[float], top: list[float]) -> tuple[float, float, float]:
    total = math.fsum(values)
    return total, (total / count if count else 0.0), max(top, default=0.0)


def reference_metrics(jobs: list[JobRecord], modes: dict[str, str]) -> dict[str, Any]:
    usage = {job.id: (job.quantum_seconds or 0) * 1000.0 for job in jobs}
    per_session: dict[str, list[float]] = {}
    individual: list[float] = []
    for job in jobs:
        if job.session_id:
            per_session.setdefault(job.session_id, []).append(usage[job.id])
        else:
            individual.append(usage[job.id])
    sums = {sid: math.fsum(values) for sid, values in per_session.items()}
    batch = [sid for sid in per_session if modes.get(sid) == "batch"]
    dedicated = [sid for sid in per_session if modes.get(sid) != "batch"]

    def session_stats(sids: list[str]) -> tuple[float, float, float]:
        values = [value for sid in sids for value in per_session[sid]]
        return _stats(len(sids), values, [sums[sid] for sid in sids])

    queue = [(job.running_at - job.created) * 1000.0 for job in jobs if job.running_at is not None]
    s_total, s_avg, s_max = session_stats(list(per_session))
    b_total, b_avg, b_max = session_stats(batch)
    d_total, d_avg, d_max = session_stats(dedicated)
    i_total, i_avg, i_max = _stats(len(individual), individual, individual)
    q_total, q_avg, q_max = _stats(len(queue), queue, queue)
    return {
        "usage": math.fsum(usage.values()),
        "jobs": len(jobs),
        "sessions": len(per_session),
        "sessions_usage": s_total,
        "avg_sessions_usage": s_avg,
        "max_sessions_usage": s_max,
        "batch_sessions": len(batch),
        "batch_sessions_usage": b_total,
        "avg_batch_sessions_usage": b_avg,
        "max_batch_sessions_usage": b_max,
        "dedicated_sessions": len(dedicated),
        "dedicated_sessions_usage": d_total,
        "avg_dedicated_sessions_usage": d_avg,
        "max_dedicated_sessions_usage": d_max,
        "individual_jobs": len(individual),
        "individual_jobs_usage": i_total,
        "avg_individual_jobs_usage": i_avg,
        "max_individual_jobs_usage": i_max,
        "queue_time": q_total,
        "avg_queue_time": q_avg,
        "max_queue_time": q_max,
    }


def reference_scope(store: Store, query: QueryParams) -> list[JobRecord]:
    instances, plans = query.getlist("instance"), query.getlist("plan")
    if (instances and CRN not in instances) or (plans and DEFAULT_PLAN_ID not in plans):
        return []
    backends, users = set(query.getlist("backend")), set(query.getlist("user_id"))
    start = time_param(query, "interval_start")
    end = time_param(query, "interval_end")
    return [
        job
        for job in store.jobs.values()
        if (not backends or job.backend in backends)
        and (not users or job.user_id in users)
        and (start is None or job.created >= start)
        and (end is None or job.created < end)
    ]


def reference(store: Store, kind: str, query: QueryParams) -> dict[str, Any]:
    jobs = reference_scope(store, query)
    modes = {sid: session.mode for sid, session in store.sessions.items()}
    if kind == "usage":
        return reference_metrics(jobs, modes)
    if kind == "filters":
        return {"users": sorted({job.user_id for job in jobs}) or ["default"]}
    if kind == "usage_grouped":
        keys: dict[str, Callable[[JobRecord], str]] = {
            "instance": lambda job: CRN,
            "backend": lambda job: job.backend,
            "user_id": lambda job: job.user_id,
            "plan": lambda job: DEFAULT_PLAN_ID,
            "subscription_id": lambda job: DEFAULT_SUBSCRIPTION_ID,
        }
        groups: dict[str, list[JobRecord]] = {}
        for job in jobs:
            groups.setdefault(keys[query["group_by"]](job), []).append(job)
        data = [{"key": k, **reference_metrics(groups[k], modes)} for k in sorted(groups)]
        return {"data": data}
    end_ts = time_param(query, "interval_end")
    start_ts = time_param(query, "interval_start")
    assert end_ts is not None and start_ts is not None
    end, start = datetime.fromtimestamp(end_ts, UTC), datetime.fromtimestamp(start_ts, UTC)
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = []
    while True:
        lo, hi = day.timestamp(), (day + timedelta(days=1)).timestamp()
        members = [job for job in jobs if lo <= job.created < hi]
        rows.append(
            {
                "key": CRN,
                "interval_start": format_time(day),
                "interval_end": format_time(day + timedelta(days=1)),
                **reference_metrics(members, modes),
            }
        )
        day += timedelta(days=1)
        if day >= end:
            break
    return {"interval_start": format_time(start), "interval_end": format_time(end), "data": rows}


def answer(store: Store, kind: str, query: QueryParams) -> dict[str, Any]:
    scope = reports.Scope.parse(query, CRN)
    index = store.analytics
    if kind == "usage":
        return reports.usage(scope, index)
    if kind == "usage_grouped":
        return reports.usage_grouped(scope, index, CRN, query)
    if kind == "usage_grouped_by_date":
        return reports.usage_grouped_by_date(scope, index, CRN, query)
    doc = reports.filters(scope, index, list(BACKENDS), CRN, "default")
    return {"users": [user["id"] for user in doc["users"]]}


# ---------------------------------------------------------------------------- histories


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat().replace("+00:00", "Z")


def build_history(store: Store, rng: random.Random, count: int) -> None:
    """Jobs over ~40 days around ORIGIN, some in bursts inside one second, in sessions of both
    modes (some spanning midnight, one run by two users), pending, running and finished."""
    sessions = []
    for n in range(12):
        started = ORIGIN + rng.uniform(-20, 20) * DAY
        if n < 3:
            started = ORIGIN - 2 * 3600 + n  # across the midnight at ORIGIN
        session = SessionRecord(
            id=f"s{n:02d}",
            mode="batch" if n % 2 else "dedicated",
            backend_name=BACKENDS[n % 2],
            max_ttl=28800,
            interactive_ttl=60,
            active_ttl=28800,
            user_id=USERS[n % 2],
            started_at=started,
        )
        store.save_session(session)
        sessions.append(session)
    for n in range(count):
        session = rng.choice(sessions) if rng.random() < 0.5 else None
        if session is not None:
            created = session.started_at + rng.uniform(0, 6 * 3600)
            backend = session.backend_name or BACKENDS[0]
            user = session.user_id if n % 17 else USERS[0]
        else:
            created = ORIGIN + rng.uniform(-20, 20) * DAY
            backend, user = rng.choice(BACKENDS), rng.choice(USERS)
        if n % 9 == 0:
            created = math.floor(created) + rng.choice([0.0, 0.25, 0.5])  # shared seconds
        if n % 31 == 0:
            created = ORIGIN + rng.choice([0.0, -0.5, 0.5, DAY])  # on bucket edges
        job = JobRecord(
            id=f"j{n:05d}",
            program_id="sampler",
            backend=backend,
            params={},
            created=created,
            user_id=user,
            session_id=session.id if session else None,
        )
        store.save_job(job)
        stage = rng.random()
        if stage > 0.2:
            job.status, job.running_at = "Running", created + rng.uniform(0.01, 30)
            store.save_job(job)
        if stage > 0.35:
            job.status, job.finished_at = "Completed", created + 40
            job.quantum_seconds = rng.choice([1, 1.1, 2.75, rng.uniform(0.5, 9), 0])
            store.save_job(job)


def change_history(store: Store, rng: random.Random) -> None:
    """What the service does to stored jobs: delete, re-queue (a restart), re-tag, finish."""
    jobs = list(store.jobs.values())
    for job in rng.sample(jobs, len(jobs) // 10):
        store.delete_job(job.id)
    for job in rng.sample(list(store.jobs.values()), len(jobs) // 10):
        if job.pending:
            job.status, job.running_at = "Queued", None
        else:
            job.quantum_seconds = rng.uniform(0, 5)
            job.tags = ["changed"]
        store.save_job(job)


def queries(store: Store, rng: random.Random) -> Iterable[tuple[str, QueryParams]]:
    created = sorted(job.created for job in store.jobs.values())
    edges = [
        None,
        ORIGIN,
        ORIGIN - 0.5,
        ORIGIN + DAY,
        ORIGIN - 16 * DAY,
        ORIGIN + 3600 + 0.25,
        rng.choice(created),
        rng.choice(created),
        math.floor(rng.choice(created)),
        rng.choice(created) + 1e-3,
        ORIGIN - 400 * DAY,
        ORIGIN + 400 * DAY,
    ]
    filters: list[list[tuple[str, str]]] = [
        [],
        [("backend", BACKENDS[0])],
        [("backend", BACKENDS[0]), ("backend", BACKENDS[1])],
        [("user_id", USERS[1])],
        [("user_id", USERS[0]), ("backend", BACKENDS[1])],
        [("instance", CRN)],
        [("instance", "crn:v1:other")],
        [("plan", DEFAULT_PLAN_ID)],
        [("plan", "another-plan")],
    ]
    for start in edges:
        for end in edges:
            if start is not None and end is not None and start > end:
                continue
            interval = [("interval_start", _iso(start))] if start is not None else []
            interval += [("interval_end", _iso(end))] if end is not None else []
            chosen = [*rng.sample(filters, 3), []]
            for extra in chosen:
                yield "usage", QueryParams(interval + extra)
                yield "filters", QueryParams(interval + extra)
                group = rng.choice(["instance", "backend", "user_id", "plan", "subscription_id"])
                yield "usage_grouped", QueryParams([*interval, *extra, ("group_by", group)])
                if start is not None and end is not None and end - start < 40 * DAY:
                    params = [*interval, *extra, ("group_by", "instance")]
                    yield "usage_grouped_by_date", QueryParams(params)


def compare(store: Store, rng: random.Random) -> int:
    checked = 0
    for kind, query in queries(store, rng):
        assert answer(store, kind, query) == reference(store, kind, query), (kind, str(query))
        checked += 1
    return checked


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_aggregates_answer_what_a_scan_of_the_jobs_gives(seed: int) -> None:
    rng = random.Random(seed)
    store = Store()
    build_history(store, rng, 600)
    assert compare(store, rng) > 100
    change_history(store, rng)
    compare(store, rng)
    for job_id in list(store.jobs):  # every aggregate is gone with the last job
        store.delete_job(job_id)
    assert len(store.analytics) == 0
    assert store.analytics.collect(None, None, lambda backend, user: "") == {}


def test_aggregates_are_rebuilt_from_a_state_file(tmp_path: Path) -> None:
    rng = random.Random(7)
    path = str(tmp_path / "state.sqlite")
    first = Store(path)
    build_history(first, rng, 300)
    change_history(first, rng)
    every = list(queries(first, random.Random(8)))
    before = [answer(first, kind, query) for kind, query in every]
    first.close()
    second = Store(path)
    assert [answer(second, kind, query) for kind, query in every] == before
    compare(second, rng)
    second.close()


def test_a_session_is_counted_once_whatever_buckets_its_jobs_fall_in() -> None:
    store = Store()
    session = SessionRecord("s", "batch", "ibm_fez", 28800, 60, 28800, USERS[0], ORIGIN - 5)
    store.save_session(session)
    for n, offset in enumerate([-4.5, -0.25, 0.0, 0.75, 59.0, 3600.0]):
        job = JobRecord(f"j{n}", "sampler", "ibm_fez", {}, ORIGIN + offset, USERS[0])
        job.session_id, job.status, job.quantum_seconds = "s", "Completed", 1.5
        store.save_job(job)
    usage = reports.usage(reports.Scope.parse(QueryParams(""), CRN), store.analytics)
    assert (usage["sessions"], usage["batch_sessions"], usage["max_sessions_usage"]) == (1, 1, 9000)
    query = QueryParams(
        [("interval_start", _iso(ORIGIN - 0.5)), ("interval_end", _iso(ORIGIN + 60))]
    )
    assert answer(store, "usage", query) == reference(store, "usage", query)
    assert answer(store, "usage", query)["max_sessions_usage"] == 6000  # 4 of its 6 jobs
