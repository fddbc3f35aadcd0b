"""Read-only views over the stored jobs and sessions: workloads and usage analytics.

The service gathers the records under its lock; everything here works on those snapshots, or,
for the analytics, on the store's ``UsageIndex`` (read under the same lock).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ._analytics import Figures, UsageIndex
from ._constants import (
    ANALYTICS_MAX_DAYS,
    DEFAULT_PLAN_ID,
    DEFAULT_SUBSCRIPTION_ID,
    DEFAULT_SUBSCRIPTION_NAME,
)
from ._ids import format_epoch, format_time, parse_time
from ._params import QueryLike, bad_request, time_param
from ._store import JobRecord, SessionRecord

__all__ = [
    "Scope",
    "WorkloadQuery",
    "filters",
    "job_item",
    "job_usage",
    "session_item",
    "usage",
    "usage_grouped",
    "usage_grouped_by_date",
    "workload_page",
]

_JOB_STATUS = {
    "Queued": "pending",
    "Running": "in_progress",
    "Completed": "completed",
    "Failed": "failed",
    "Cancelled": "canceled",
}
DEFAULT_ANALYTICS_DAYS = 7  # the interval when only interval_end is given

_SESSION_STATUS = {"open": "pending", "active": "in_progress", "inactive": "in_progress"}


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode().rstrip("=")


def _decode_cursor(token: str) -> int:
    """The offset a cursor points at; raises ValueError for a token this server did not issue."""
    data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    offset = data["offset"]
    if not isinstance(offset, int) or offset < 0:
        raise ValueError("bad cursor")
    return offset


def job_usage(job: JobRecord) -> dict[str, Any]:
    """A job's ``usage`` as API versions from 2026-03-15 show it (charged once final)."""
    final = not job.pending
    return {
        "qpu_charge_time_seconds": (job.quantum_seconds or 0) if final else 0,
        "status": "complete" if final else "pending",
    }


def job_item(job: JobRecord, crn: str) -> dict[str, Any]:
    """The workload item of a job outside any session."""
    item: dict[str, Any] = {
        "id": job.id,
        "created": format_epoch(job.created),
        "backend": job.backend,
        "instance": crn,
        "user_id": job.user_id,
        "mode": "job",
        "status": _JOB_STATUS[job.status],
        "tags": list(job.tags),
        "accepting_jobs": None,
        "usage": job_usage(job),
        "usage_seconds": job.quantum_seconds or 0,
        "estimated_running_time_seconds": job.estimated_seconds,
    }
    if job.finished_at is not None:
        item["ended"] = format_epoch(job.finished_at)
    if job.reason:
        item["status_reason"] = job.reason
    return item


def session_item(session: SessionRecord, members: Sequence[JobRecord], crn: str) -> dict[str, Any]:
    """The workload item of a session or batch, with its jobs' usage and tags."""
    used = sum(job.quantum_seconds or 0 for job in members)
    backend = session.backend_name or (members[0].backend if members else "")
    tags = sorted({tag for job in members for tag in job.tags})
    item: dict[str, Any] = {
        "id": session.id,
        "created": format_epoch(session.started_at),
        "backend": backend,
        "instance": crn,
        "user_id": session.user_id,
        "mode": "batch" if session.mode == "batch" else "session",
        "status": _SESSION_STATUS.get(session.state, "completed"),
        "tags": tags,
        "accepting_jobs": session.accepting_jobs,
        "usage": {"qpu_charge_time_seconds": used},
        "usage_seconds": used,
    }
    if session.closed_at is not None:
        item["ended"] = format_epoch(session.closed_at)
    return item


def _day_buckets(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Whole UTC days covering [start, end), or the day holding ``start`` when they are equal.

    Never more than ``ANALYTICS_MAX_DAYS + 1`` are built, whatever the interval: one more than
    allowed is enough for the caller to refuse it.
    """
    day = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    buckets = [(day, day + timedelta(days=1))]
    day += timedelta(days=1)
    while day < end and len(buckets) <= ANALYTICS_MAX_DAYS:
        buckets.append((day, day + timedelta(days=1)))
        day += timedelta(days=1)
    return buckets


@dataclass(frozen=True)
class WorkloadQuery:
    """A ``GET /v1/workloads`` query, validated."""

    limit: int
    descending: bool
    offset: int
    user: str | None
    statuses: frozenset[str]
    mode: str | None
    after: float | None
    before: float | None
    backend: str | None
    search: str | None
    tags: frozenset[str]

    @classmethod
    def parse(cls, query: QueryLike) -> WorkloadQuery:
        try:
            limit = int(float(query.get("limit") or "10"))
        except ValueError:
            raise bad_request("limit must be a number.") from None
        if not 1 <= limit <= 50:
            raise bad_request("limit must be between 1 and 50.")
        sort = query.get("sort") or "createdAt"
        if sort not in ("createdAt", "-createdAt"):
            raise bad_request("sort must be createdAt or -createdAt.")
        user = query.get("user")
        if user not in (None, "me"):
            raise bad_request("user can only be me.")
        mode = query.get("mode")
        if mode not in (None, "job", "session", "batch"):
            raise bad_request("mode must be job, session or batch.")
        cursor = query.get("next") or query.get("previous")
        try:
            offset = _decode_cursor(cursor) if cursor else 0
        except (ValueError, KeyError, TypeError):
            raise bad_request("Invalid cursor.") from None
        return cls(
            limit=limit,
            descending=sort == "-createdAt",
            offset=offset,
            user=user,
            statuses=frozenset(query.getlist("status")),
            mode=mode,
            after=time_param(query, "created_after"),
            before=time_param(query, "created_before"),
            backend=query.get("backend"),
            search=query.get("search"),
            tags=frozenset(query.getlist("tags")),
        )

    @property
    def filtered(self) -> bool:
        return bool(
            self.user or self.statuses or self.mode or self.backend or self.search or self.tags
        ) or (self.after, self.before) != (None, None)

    def matches(self, item: dict[str, Any], user_id: str) -> bool:
        created = parse_time(item["created"]).timestamp()
        search = self.search
        return (
            (self.user is None or item["user_id"] == user_id)
            and (not self.statuses or item["status"] in self.statuses)
            and (self.mode is None or item["mode"] == self.mode)
            and (self.backend is None or item["backend"] == self.backend)
            and (self.after is None or created >= self.after)
            and (self.before is None or created <= self.before)
            and self.tags <= set(item["tags"])
            and (
                search is None
                or search in item["id"]
                or any(search.lower() in tag.lower() for tag in item["tags"])
            )
        )


def workload_page(
    query: WorkloadQuery,
    page: list[dict[str, Any]],
    total: int,
    page_url: Callable[[str, str], str],
) -> dict[str, Any]:
    """The response document for one page of ``total`` matching workloads."""
    doc: dict[str, Any] = {"workloads": page, "total_count": total, "limit": query.limit}
    offset, limit = query.offset, query.limit
    if offset + limit < total:
        doc["next"] = {"href": page_url("next", _encode_cursor(offset + limit))}
    if offset > 0:
        doc["previous"] = {"href": page_url("previous", _encode_cursor(max(0, offset - limit)))}
    return doc


@dataclass(frozen=True)
class Scope:
    """What an analytics query covers: an interval and the (backend, user) slices it keeps."""

    start: float | None
    end: float | None
    backends: frozenset[str]
    users: frozenset[str]
    empty: bool  # another instance or plan: nothing of this one counts

    @classmethod
    def parse(cls, query: QueryLike, crn: str) -> Scope:
        instances = query.getlist("instance")
        plans = set(query.getlist("plan"))
        return cls(
            start=time_param(query, "interval_start"),
            end=time_param(query, "interval_end"),
            backends=frozenset(query.getlist("backend")),
            users=frozenset(query.getlist("user_id")),
            empty=bool(
                (instances and crn not in instances) or (plans and DEFAULT_PLAN_ID not in plans)
            ),
        )

    def grouping(self, key: Callable[[str, str], str]) -> Callable[[str, str], str | None]:
        """``key(backend, user_id)`` for the slices this scope keeps, None for the others."""

        def group(backend: str, user_id: str) -> str | None:
            if self.empty or (self.backends and backend not in self.backends):
                return None
            if self.users and user_id not in self.users:
                return None
            return key(backend, user_id)

        return group

    def collect(
        self,
        index: UsageIndex,
        key: Callable[[str, str], str],
        start: float | None = None,
        end: float | None = None,
    ) -> dict[str, Figures]:
        """The scope's figures per ``key``, within [start, end) too when given."""
        lo = _bound(max, self.start, start)
        hi = _bound(min, self.end, end)
        if self.empty:
            return {}
        return index.collect(lo, hi, self.grouping(key))


def _bound(pick: Callable[[float, float], float], a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else pick(a, b)


def _instance(backend: str, user_id: str) -> str:
    return ""


def usage(scope: Scope, index: UsageIndex) -> dict[str, Any]:
    return scope.collect(index, _instance).get("", Figures()).metrics()


def usage_grouped(scope: Scope, index: UsageIndex, crn: str, query: QueryLike) -> dict[str, Any]:
    keys: dict[str, Callable[[str, str], str]] = {
        "instance": lambda backend, user: crn,
        "backend": lambda backend, user: backend,
        "user_id": lambda backend, user: user,
        "plan": lambda backend, user: DEFAULT_PLAN_ID,
        "subscription_id": lambda backend, user: DEFAULT_SUBSCRIPTION_ID,
    }
    group_by = query.get("group_by")
    if group_by not in keys:
        raise bad_request(f"group_by must be one of {', '.join(keys)}.")
    groups = scope.collect(index, keys[group_by])
    return {"data": [{"key": key, **groups[key].metrics()} for key in sorted(groups)]}


def usage_grouped_by_date(
    scope: Scope, index: UsageIndex, crn: str, query: QueryLike
) -> dict[str, Any]:
    """One row per UTC day the interval touches (at least one), at most ``ANALYTICS_MAX_DAYS``.

    Each row reads the day's aggregates, so the cost is the interval's days, not its jobs.
    """
    if query.get("group_by") != "instance":
        raise bad_request("group_by must be instance.")
    end_ts = scope.end
    start_ts = scope.start
    end = datetime.fromtimestamp(end_ts, UTC) if end_ts is not None else datetime.now(UTC)
    start = (
        datetime.fromtimestamp(start_ts, UTC)
        if start_ts is not None
        else end - timedelta(days=DEFAULT_ANALYTICS_DAYS)
    )
    if start > end:
        raise bad_request("interval_start must not be after interval_end.")
    buckets = _day_buckets(start, end)
    if len(buckets) > ANALYTICS_MAX_DAYS:
        raise bad_request(
            f"The interval covers {len(buckets)} days; at most {ANALYTICS_MAX_DAYS} are allowed."
        )
    data = []
    for day_start, day_end in buckets:
        figures = scope.collect(index, _instance, day_start.timestamp(), day_end.timestamp())
        data.append(
            {
                "key": crn,
                "interval_start": format_time(day_start),
                "interval_end": format_time(day_end),
                **figures.get("", Figures()).metrics(),
            }
        )
    return {"interval_start": format_time(start), "interval_end": format_time(end), "data": data}


def filters(
    scope: Scope, index: UsageIndex, backends: list[str], crn: str, default_user: str
) -> dict[str, Any]:
    users = sorted(scope.collect(index, lambda backend, user: user)) or [default_user]
    return {
        "backends": [{"name": name} for name in backends],
        "instances": [{"id": crn, "deleted": False}],
        "users": [{"id": user} for user in users],
        "plans": [{"name": DEFAULT_PLAN_ID}],
        "subscriptions": [{"id": DEFAULT_SUBSCRIPTION_ID, "name": DEFAULT_SUBSCRIPTION_NAME}],
    }
