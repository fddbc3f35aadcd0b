"""Jobs, sessions and instance settings: in memory, optionally written through to SQLite.

With a state file, every change is written as one JSON document per row, so a restarted
emulator sees the same jobs, results and sessions (``--state FILE``).

Every route must cost the same after 20,000 jobs as after one, so the store keeps indexes up to
date as jobs are saved: jobs in creation order, the pending ones, jobs per session, backend,
program and tag, a trigram index of the distinct tags, quantum seconds per usage month, and the
usage analytics by time bucket, backend and user (``_analytics.UsageIndex``). Queries start from
the smallest index that applies instead of scanning every job.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ._analytics import JobFacts, UsageIndex

__all__ = ["JobRecord", "SessionRecord", "Store", "usage_month"]

TERMINAL_STATES = frozenset({"Completed", "Failed", "Cancelled"})


@dataclass
class JobRecord:
    id: str
    program_id: str
    backend: str
    params: Any
    created: float
    user_id: str
    status: str = "Queued"
    reason: str | None = None
    reason_code: int | None = None
    reason_solution: str | None = None
    session_id: str | None = None
    tags: list[str] = field(default_factory=list)
    caller: str | None = None
    cost: int | None = None
    log_level: str | None = None
    private: bool = False
    runtime: str | None = None
    calibration_id: str | None = None
    running_at: float | None = None
    finished_at: float | None = None
    result: str | None = None
    results_read: bool = False
    quantum_seconds: float | None = None
    execution_time_ns: int | None = None
    estimated_seconds: float = 0.0

    @property
    def pending(self) -> bool:
        return self.status not in TERMINAL_STATES


def usage_month(moment: float) -> str:
    """The usage period (a calendar month, UTC) a job created at ``moment`` counts in."""
    return time.strftime("%Y-%m", time.gmtime(moment))


class _IndexKeys(NamedTuple):
    """What one job is indexed under; a save re-indexes the job only when these change."""

    pending: bool
    backend: str
    program_id: str
    session_id: str | None
    tags: tuple[str, ...]
    month: str
    quantum_seconds: float

    @classmethod
    def of(cls, job: JobRecord) -> _IndexKeys:
        return cls(
            job.pending,
            job.backend,
            job.program_id,
            job.session_id,
            tuple(job.tags),
            usage_month(job.created),
            float(job.quantum_seconds or 0),
        )


def _trigrams(text: str) -> set[str]:
    lowered = text.lower()
    return {lowered[i : i + 3] for i in range(len(lowered) - 2)}


@dataclass
class SessionRecord:
    id: str
    mode: str
    backend_name: str | None
    max_ttl: int
    interactive_ttl: int
    active_ttl: int
    user_id: str
    started_at: float
    state: str = "open"
    state_reason: str | None = None
    accepting_jobs: bool = True
    activated_at: float | None = None
    closed_at: float | None = None
    last_job_started: float | None = None
    last_job_completed: float | None = None
    timestamps: list[tuple[str, float]] = field(default_factory=list)
    # Set when the emulator is told to expire the session early (a TTL scenario).
    expires_at: float | None = None

    @property
    def deadline(self) -> float:
        """When the session reaches its max_ttl."""
        ttl_end = self.started_at + self.max_ttl
        return ttl_end if self.expires_at is None else min(ttl_end, self.expires_at)

    def move_to(self, state: str, moment: float, reason: str | None = None) -> None:
        if self.state == state:
            return
        self.state = state
        self.state_reason = reason
        self.timestamps.append((state, moment))
        if state == "active" and self.activated_at is None:
            self.activated_at = moment
        if state == "closed":
            self.closed_at = moment
            self.accepting_jobs = False


class Store:
    """The emulator's state. Callers hold ``lock`` around read-modify-write sequences."""

    def __init__(self, path: str | None = None) -> None:
        self.lock = threading.RLock()
        # Both in creation order (jobs are created under the lock with increasing timestamps).
        self.jobs: dict[str, JobRecord] = {}
        self.sessions: dict[str, SessionRecord] = {}
        self.settings: dict[str, Any] = {}
        self._clear_indexes()
        self._db: sqlite3.Connection | None = None
        if path:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            for table in ("jobs", "sessions", "settings"):
                self._db.execute(
                    f"CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY, doc TEXT NOT NULL)"
                )
            self._load()

    def _clear_indexes(self) -> None:
        self._keys: dict[str, _IndexKeys] = {}
        # Ordered sets (dicts of None) keep creation order, so pages need no sorting.
        self.pending: dict[str, None] = {}
        self.pending_per_backend: Counter[str] = Counter()
        self.standalone: dict[str, None] = {}  # jobs outside sessions: workload items
        self.by_session: dict[str, dict[str, None]] = {}
        self.by_backend: dict[str, dict[str, None]] = {}
        self.by_program: dict[str, dict[str, None]] = {}
        self.by_tag: dict[str, dict[str, None]] = {}
        self._tags_by_trigram: dict[str, set[str]] = {}
        self.quantum_seconds_per_month: defaultdict[str, float] = defaultdict(float)
        self.analytics = UsageIndex()

    def _load(self) -> None:
        assert self._db is not None
        # Sessions first: the analytics count a job under its session's mode.
        sessions = []
        for (doc,) in self._db.execute("SELECT doc FROM sessions"):
            data = json.loads(doc)
            data["timestamps"] = [tuple(item) for item in data["timestamps"]]
            sessions.append(SessionRecord(**data))
        for session in sorted(sessions, key=lambda s: (s.started_at, s.id)):
            self.sessions[session.id] = session
        jobs = [JobRecord(**json.loads(doc)) for (doc,) in self._db.execute("SELECT doc FROM jobs")]
        for job in sorted(jobs, key=lambda j: (j.created, j.id)):
            self.jobs[job.id] = job
            self._index(job)
        for key, doc in self._db.execute("SELECT id, doc FROM settings"):
            self.settings[key] = json.loads(doc)

    def _write(self, table: str, key: str, doc: Any) -> None:
        if self._db is not None:
            self._db.execute(
                f"INSERT OR REPLACE INTO {table} (id, doc) VALUES (?, ?)", (key, json.dumps(doc))
            )

    def save_job(self, job: JobRecord) -> None:
        with self.lock:
            self.jobs[job.id] = job
            self._index(job)
            self._write("jobs", job.id, dataclasses.asdict(job))

    def delete_job(self, job_id: str) -> None:
        with self.lock:
            self.jobs.pop(job_id, None)
            self._unindex(job_id)
            self.analytics.update(job_id, None)
            if self._db is not None:
                self._db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    def clear(self) -> None:
        """Forget every job, session and setting (the state file too)."""
        with self.lock:
            self.jobs.clear()
            self.sessions.clear()
            self.settings.clear()
            self._clear_indexes()
            if self._db is not None:
                for table in ("jobs", "sessions", "settings"):
                    self._db.execute(f"DELETE FROM {table}")

    # ------------------------------------------------------------------------------ indexes

    def _facts(self, job: JobRecord) -> JobFacts:
        session = self.sessions.get(job.session_id) if job.session_id else None
        return JobFacts(
            created=job.created,
            backend=job.backend,
            user_id=job.user_id,
            session_id=job.session_id or None,
            batch=session is not None and session.mode == "batch",
            usage_ms=(job.quantum_seconds or 0) * 1000.0,
            queue_ms=None if job.running_at is None else (job.running_at - job.created) * 1000.0,
        )

    def _index(self, job: JobRecord) -> None:
        self.analytics.update(job.id, self._facts(job))
        keys = _IndexKeys.of(job)
        if self._keys.get(job.id) == keys:
            return
        self._unindex(job.id)
        self._keys[job.id] = keys
        if keys.pending:
            self._add_in_order(self.pending, job)
            self.pending_per_backend[keys.backend] += 1
        if keys.session_id is None:
            self._add_in_order(self.standalone, job)
        else:
            self._add_in_order(self.by_session.setdefault(keys.session_id, {}), job)
        self._add_in_order(self.by_backend.setdefault(keys.backend, {}), job)
        self._add_in_order(self.by_program.setdefault(keys.program_id, {}), job)
        for tag in keys.tags:
            tagged = self.by_tag.setdefault(tag, {})
            if not tagged:
                for gram in _trigrams(tag):
                    self._tags_by_trigram.setdefault(gram, set()).add(tag)
            self._add_in_order(tagged, job)
        self.quantum_seconds_per_month[keys.month] += keys.quantum_seconds

    def _add_in_order(self, members: dict[str, None], job: JobRecord) -> None:
        """Add ``job`` keeping ``members`` in creation order, which listings rely on (reversed
        for newest first, an early stop at ``created_before``): a job re-indexed after a status
        or tag change is put back in its place, not at the end."""
        newest = next(reversed(members), None)
        if newest is None or (self.jobs[newest].created, newest) <= (job.created, job.id):
            members[job.id] = None
            return
        ordered = sorted([*members, job.id], key=lambda j: (self.jobs[j].created, j))
        members.clear()
        members.update(dict.fromkeys(ordered))

    def _unindex(self, job_id: str) -> None:
        keys = self._keys.pop(job_id, None)
        if keys is None:
            return
        if keys.pending:
            self.pending.pop(job_id, None)
            self.pending_per_backend[keys.backend] -= 1
        if keys.session_id is None:
            self.standalone.pop(job_id, None)
        else:
            _discard(self.by_session, keys.session_id, job_id)
        _discard(self.by_backend, keys.backend, job_id)
        _discard(self.by_program, keys.program_id, job_id)
        for tag in keys.tags:
            if _discard(self.by_tag, tag, job_id):
                for gram in _trigrams(tag):
                    grams = self._tags_by_trigram[gram]
                    grams.discard(tag)
                    if not grams:
                        del self._tags_by_trigram[gram]
        self.quantum_seconds_per_month[keys.month] -= keys.quantum_seconds

    def tags_containing(self, needle: str) -> set[str]:
        """The distinct job tags containing ``needle`` (3 characters or more), any case."""
        grams = sorted(_trigrams(needle), key=lambda g: len(self._tags_by_trigram.get(g, ())))
        if not grams:
            return set()
        candidates = self._tags_by_trigram.get(grams[0], set())
        lowered = needle.lower()
        return {tag for tag in candidates if lowered in tag.lower()}

    def save_session(self, session: SessionRecord) -> None:
        with self.lock:
            self.sessions[session.id] = session
            self._write("sessions", session.id, dataclasses.asdict(session))

    def save_setting(self, key: str, value: Any) -> None:
        with self.lock:
            self.settings[key] = value
            self._write("settings", key, value)

    def close(self) -> None:
        with self.lock:
            if self._db is not None:
                self._db.close()
                self._db = None


def _discard(index: dict[str, dict[str, None]], key: str, job_id: str) -> bool:
    """Remove ``job_id`` from ``index[key]``; True when that leaves the key empty (and gone)."""
    members = index.get(key)
    if members is None:
        return False
    members.pop(job_id, None)
    if members:
        return False
    del index[key]
    return True
