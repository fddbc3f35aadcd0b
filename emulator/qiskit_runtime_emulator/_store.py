"""Jobs, sessions and instance settings: in memory, optionally written through to SQLite.

With a state file, every change is written as one JSON document per row, so a restarted
emulator sees the same jobs, results and sessions (``--state FILE``).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["JobRecord", "SessionRecord", "Store"]

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
        self.jobs: dict[str, JobRecord] = {}
        self.sessions: dict[str, SessionRecord] = {}
        self.settings: dict[str, Any] = {}
        self._db: sqlite3.Connection | None = None
        if path:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            for table in ("jobs", "sessions", "settings"):
                self._db.execute(
                    f"CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY, doc TEXT NOT NULL)"
                )
            self._load()

    def _load(self) -> None:
        assert self._db is not None
        for job_id, doc in self._db.execute("SELECT id, doc FROM jobs"):
            self.jobs[job_id] = JobRecord(**json.loads(doc))
        for session_id, doc in self._db.execute("SELECT id, doc FROM sessions"):
            data = json.loads(doc)
            data["timestamps"] = [tuple(item) for item in data["timestamps"]]
            self.sessions[session_id] = SessionRecord(**data)
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
            self._write("jobs", job.id, dataclasses.asdict(job))

    def delete_job(self, job_id: str) -> None:
        with self.lock:
            self.jobs.pop(job_id, None)
            if self._db is not None:
                self._db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

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
