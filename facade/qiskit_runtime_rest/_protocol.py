"""The request protocol, I/O-free: what each call sends.

Paths, query parameters and bodies are built here, identically for both flavours, and checked
before anything is sent (``InvalidInputError``). Answers are read back by ``_wire.read_json``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import parse_qs, quote, urlsplit

from ._constants import LIST_PAGE_SIZE
from ._exceptions import InvalidInputError

if TYPE_CHECKING:
    from ._models import Json, TimeArg, Workload

Params = dict[str, Any]
# A listing page's rows, each paired with "this is the last row of the whole listing".
Page = list[tuple[Mapping[str, Any], bool]]

SESSION_MODES = ("dedicated", "batch")
_ACCOUNT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")
_GROUP_BY = frozenset({"instance", "backend", "user_id", "plan", "subscription_id"})


# --------------------------------------------------------------------------- paths


def segment(value: str, what: str) -> str:
    """One path segment, percent-encoded; never empty, and ``.`` or ``..`` (which URL
    normalisation would collapse into another route) are refused."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{what} must be a non-empty string, got {value!r:.60}")
    text = value.strip()
    if text in (".", ".."):
        raise InvalidInputError(f"{what} {text!r} is not an id (it would name another route)")
    try:
        return quote(text, safe="")
    except UnicodeEncodeError:
        raise InvalidInputError(f"{what} {text[:40]!r} is not valid Unicode") from None


def job_path(job_id: str, suffix: str = "") -> str:
    return f"/v1/jobs/{segment(job_id, 'job id')}{suffix}"


def session_path(session_id: str, suffix: str = "") -> str:
    return f"/v1/sessions/{segment(session_id, 'session id')}{suffix}"


def backend_path(name: str, suffix: str) -> str:
    return f"/v1/backends/{segment(name, 'backend name')}{suffix}"


def account_path(account_id: str) -> str:
    # The route wants the bare id; the CRN's scope segment carries an "a/" prefix (pitfall 9).
    bare = account_id.strip().removeprefix("a/") if isinstance(account_id, str) else ""
    if not _ACCOUNT_ID.match(bare):
        raise InvalidInputError(
            f"account id {account_id!r} is not 1-64 characters of [A-Za-z0-9_-]"
        )
    return f"/v1/accounts/{bare}"


# --------------------------------------------------------------------------- query parameters


def strings(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def backend_params(calibration_id: str | None = None, updated_before: TimeArg = None) -> Params:
    return {"calibration_id": calibration_id, "updated_before": updated_before}


BACKEND_LIST_FIELDS = ("wait_time_seconds",)  # the spec's enum for GET /v1/backends?fields=


def backends_list_params(
    include_wait_time: bool, fields: str | Sequence[str] | None = None
) -> Params | None:
    """``fields`` adds optional fields to each device (today only ``wait_time_seconds``);
    ``include_wait_time=True`` is the same as ``fields="wait_time_seconds"``."""
    wanted = strings(fields) or []
    unknown = [name for name in wanted if name not in BACKEND_LIST_FIELDS]
    if unknown:
        raise InvalidInputError(
            f"unknown backend list field(s) {unknown}; the API offers {list(BACKEND_LIST_FIELDS)}"
        )
    if include_wait_time and "wait_time_seconds" not in wanted:
        wanted.append("wait_time_seconds")
    return {"fields": ",".join(wanted)} if wanted else None


def limit_body(seconds: float | None) -> Json:
    if seconds is None:
        return {"instance_limit": None}
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise InvalidInputError("instance limit must be a whole number of seconds, or None")
    if seconds != int(seconds) or seconds < 1:
        raise InvalidInputError(
            f"instance limit must be a whole number of seconds >= 1, got {seconds}"
        )
    return {"instance_limit": int(seconds)}


def job_list_params(
    *,
    backend: str | None,
    session_id: str | None,
    pending: bool | None,
    tags: Sequence[str] | None,
    program: str | None,
    created_after: datetime | str | None,
    created_before: datetime | str | None,
    sort: str | None,
) -> Params:
    # `clean_params` drops None values and formats datetimes (naive ones as UTC).
    from ._pubs import validate_tags

    if sort is not None and sort.upper() not in ("ASC", "DESC"):
        raise InvalidInputError(f"sort must be 'ASC' or 'DESC', got {sort!r}")
    return {
        "backend": backend,
        "session_id": session_id,
        "pending": None if pending is None else ("true" if pending else "false"),
        "tags": validate_tags(tags) or None,
        "program": program,
        "created_after": created_after,
        "created_before": created_before,
        "sort": sort.upper() if sort else None,
        "exclude_params": "true",
    }


def page_rows(body: Any, offset: int) -> Page:
    """A ``GET /v1/jobs`` page's rows, each paired with "the last row of the whole listing"."""
    found = body.get("jobs") if isinstance(body, Mapping) else None
    rows = [row for row in found or [] if isinstance(row, Mapping) and row.get("id")]
    count = body.get("count") if isinstance(body, Mapping) else None
    last_page = len(rows) < LIST_PAGE_SIZE or (
        isinstance(count, int) and offset + len(rows) >= count
    )
    return [(row, last_page and i == len(rows) - 1) for i, row in enumerate(rows)]


def session_create_body(backend: str, mode: str, max_ttl: int | None) -> dict[str, Any]:
    if not isinstance(backend, str) or not backend:
        raise InvalidInputError("backend must be a non-empty backend name, e.g. 'ibm_pittsburgh'")
    if mode not in SESSION_MODES:
        raise InvalidInputError(f"mode must be 'dedicated' (a session) or 'batch', got {mode!r}")
    body: dict[str, Any] = {"mode": mode, "backend": backend}
    if max_ttl is not None:
        if isinstance(max_ttl, bool) or not isinstance(max_ttl, int) or max_ttl < 1:
            raise InvalidInputError(f"max_ttl must be a whole number of seconds >= 1: {max_ttl!r}")
        body["max_ttl"] = max_ttl
    return body


def workload_params(
    *,
    user: str | None,
    sort: str | None,
    page_size: int | None,
    backend: str | None,
    search: str | None,
    status: str | Sequence[str] | None,
    mode: str | None,
    created_after: TimeArg,
    created_before: TimeArg,
    tags: str | Sequence[str] | None,
) -> Params:
    if page_size is not None and not 1 <= page_size <= 50:
        raise InvalidInputError(f"page_size must be between 1 and 50, got {page_size}")
    return {
        "user": user,
        "sort": sort,
        "limit": page_size,
        "backend": backend,
        "search": search,
        "status": strings(status),
        "mode": mode,
        "created_after": created_after,
        "created_before": created_before,
        "tags": strings(tags),
    }


def _next_cursor(page: Json) -> str | None:
    link = page.get("next")
    href = link.get("href") if isinstance(link, dict) else link
    if not isinstance(href, str) or not href:
        return None
    query = parse_qs(urlsplit(href).query)
    if "next" in query:
        return query["next"][0]
    # Not a URL with ?next=...: the value is the cursor itself.
    return None if ("/" in href or "?" in href) else href


class WorkloadPages:
    """The cursor walk of ``GET /v1/workloads``: ``params`` is the next page's query (None:
    stop), ``take`` turns a page into its workloads and moves on."""

    def __init__(self, params: Params, limit: int | None) -> None:
        self._filters = params
        self.params: Params | None = params if limit is None or limit > 0 else None
        self._left = limit
        self._seen: set[str] = set()

    def take(self, page: Json) -> list[Workload]:
        from ._models import parse_workload

        items = page.get("workloads")
        found = items if isinstance(items, list) else []
        workloads = [parse_workload(item) for item in found if isinstance(item, dict)]
        if self._left is not None:
            workloads = workloads[: self._left]
            self._left -= len(workloads)
        cursor = _next_cursor(page)
        # A repeated cursor or an empty page would loop forever; a reached limit needs no more.
        if cursor is None or cursor in self._seen or not found or self._left == 0:
            self.params = None
        else:
            self._seen.add(cursor)
            self.params = {**self._filters, "next": cursor}
        return workloads


class AnalyticsFilters(TypedDict, total=False):
    """The filters every analytics call takes; each list filter takes one value or a list."""

    instance: str | Sequence[str] | None
    backend: str | Sequence[str] | None
    user_id: str | Sequence[str] | None
    plan: str | Sequence[str] | None
    subscription_id: str | Sequence[str] | None
    interval_start: TimeArg
    interval_end: TimeArg
    simulators: bool | None


_ANALYTICS_LISTS = ("instance", "backend", "user_id", "plan", "subscription_id")


def analytics_params(group_by: str | None, filters: Mapping[str, Any]) -> Params:
    if group_by is not None and group_by not in _GROUP_BY:
        raise InvalidInputError(f"group_by must be one of {sorted(_GROUP_BY)}, got {group_by!r}")
    known = AnalyticsFilters.__annotations__
    for name in filters:
        if name not in known:
            raise InvalidInputError(
                f"unknown analytics filter {name!r}; valid names: {', '.join(known)}"
            )
    params: Params = {"group_by": group_by}
    for name, value in filters.items():
        params[name] = strings(value) if name in _ANALYTICS_LISTS else value
    return params


def tag_search_params(text: str) -> Params:
    if not isinstance(text, str) or not 3 <= len(text) <= 100:
        raise InvalidInputError("tag search text must be 3 to 100 characters")
    return {"type": "job", "search": text}
