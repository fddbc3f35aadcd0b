"""Job status vocabulary, and the one place that reads a job's state out of an API body.

The API has two status fields: ``state.status`` (five values) and a top-level ``status`` that adds
``"Cancelled - Ran too long"``. Older bodies spell the reason code ``reasonCode``. Anything the
client does not recognise becomes ``JobStatus.UNKNOWN``, which waiters treat as not final: a new
server-side state must never make a wait return early or raise.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["RAN_TOO_LONG_REASON_CODE", "JobState", "JobStatus", "parse_job_state"]

# IBM's reason code for a job stopped because it exceeded its maximum execution time.
RAN_TOO_LONG_REASON_CODE = 1305


class JobStatus(enum.StrEnum):
    """A job's status. ``UNKNOWN`` stands for any value this client version does not know."""

    QUEUED = "Queued"
    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELLED = "Cancelled"
    UNKNOWN = "Unknown"

    @property
    def is_final(self) -> bool:
        return self in _FINAL

    @classmethod
    def from_api(cls, value: object) -> JobStatus:
        if not isinstance(value, str):
            return cls.UNKNOWN
        return _BY_LOWER.get(value.strip().lower(), cls.UNKNOWN)


_FINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})
_BY_LOWER: dict[str, JobStatus] = {
    "queued": JobStatus.QUEUED,
    "running": JobStatus.RUNNING,
    "completed": JobStatus.COMPLETED,
    "failed": JobStatus.FAILED,
    "cancelled": JobStatus.CANCELLED,
    "cancelled - ran too long": JobStatus.CANCELLED,
    # The workloads endpoint's vocabulary, accepted so a row from either list reads the same.
    "canceled": JobStatus.CANCELLED,
    "pending": JobStatus.QUEUED,
    "in_progress": JobStatus.RUNNING,
}


@dataclass(frozen=True)
class JobState:
    """What a job body says about where the job is."""

    status: JobStatus
    raw_status: str | None = None
    reason: str | None = None
    reason_code: int | None = None
    reason_solution: str | None = None

    @property
    def ran_too_long(self) -> bool:
        return self.reason_code == RAN_TOO_LONG_REASON_CODE or (
            self.raw_status is not None and "ran too long" in self.raw_status.lower()
        )


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _as_text(value: object) -> str | None:
    # The API sends "" for "no reason": expose that as None so `if job.reason:` reads naturally.
    return value if isinstance(value, str) and value else None


def parse_job_state(body: Mapping[str, Any]) -> JobState:
    """Read the state of a job from a ``JobResponse`` (or a row of ``GET /v1/jobs``)."""
    state = body.get("state")
    state = state if isinstance(state, Mapping) else {}
    top = body.get("status")
    raw = state.get("status") if isinstance(state.get("status"), str) else None
    status = JobStatus.from_api(raw)
    if status is JobStatus.UNKNOWN and isinstance(top, str):
        status = JobStatus.from_api(top)
    # The top-level field is the only place "Cancelled - Ran too long" appears: keep it visible.
    if isinstance(top, str) and (raw is None or "ran too long" in top.lower()):
        raw = top
    code = state.get("reason_code")
    if code is None:
        code = state.get("reasonCode")
    return JobState(
        status=status,
        raw_status=raw,
        reason=_as_text(state.get("reason")),
        reason_code=_as_int(code),
        reason_solution=_as_text(state.get("reason_solution")),
    )
