"""From the classic Qiskit Runtime API to the new one: every row of IBM's migration tables.

One source of truth for ``qrt migrate METHOD PATH`` and for the README's "Migrating from the
classic API" table (``tests/cli/test_migration.py`` checks the README against ``markdown_table``).
The rows follow the guide (https://quantum.cloud.ibm.com/docs/migration-guides/migrate-classic-rest-api),
in its order, one row per classic endpoint; ``guide`` is the replacement as the guide prints it,
``new`` the operations of today's API (``METHOD /v1/...`` as the pinned spec writes them) and
``facade`` the call that sends them. Where the guide names a route today's spec no longer has,
``new`` is empty and the note says so; the tests check every ``new`` operation against the spec.

Plain data and string handling only: ``qrt migrate`` answers without importing the client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["MIGRATIONS", "Migration", "explain", "lookup", "markdown_table"]

REMOVED: Final = "removed, no replacement"


@dataclass(frozen=True)
class Migration:
    method: str
    classic: str  # the classic path, as the guide writes it
    guide: str  # the guide's replacement column, verbatim but for escaping
    new: tuple[str, ...]  # today's operations, "METHOD /v1/..." as in the spec; () if none
    facade: str  # the facade call(s); "" when there is none
    note: str = ""

    @property
    def removed(self) -> bool:
        return not self.new


_GONE_INTERIM = (
    "the guide names /v1/jobs/{id}/interim_results, but IBM's current API (spec 0.45.3) has no "
    "such route: interim results are gone. Wait for the job and read its final result "
    "(job.wait(); job.result())"
)
_GONE_TRANSPILED = (
    "the guide names /v1/jobs/{id}/transpiled_circuits, but IBM removed it in IBM-API-Version "
    "2026-02-01 (changelog); it is not in spec 0.45.3"
)

MIGRATIONS: Final[tuple[Migration, ...]] = (
    # Account- and instance-related endpoints.
    Migration(
        "GET",
        "/health",
        "N/A: Removed without replacement",
        (),
        "",
        "GET /v1/versions answers without credentials if you need a liveness check (rt.versions())",
    ),
    Migration(
        "GET",
        "/users/me",
        "/v1/accounts/{id}",
        ("GET /v1/accounts/{id}",),
        "rt.accounts.get()",
        "the account id is the CRN's a/... part, without a/; rt.accounts.get() uses the client's",
    ),
    Migration(
        "POST",
        "/auth/validate",
        "N/A: Removed without replacement",
        (),
        "",
        "rt.authenticate() checks the API key against IAM",
    ),
    Migration(
        "POST",
        "/logout",
        "/v1/logout",
        ("POST /v1/logout",),
        "rt.logout()",
        "clears the service's authorization cache for the token; the API key stays valid",
    ),
    Migration(
        "GET",
        "/instances",
        "/v1/instance /v1/instances/configuration",
        ("GET /v1/instance", "GET /v1/instances/configuration", "PUT /v1/instances/configuration"),
        "rt.instance.get(), rt.instance.configuration(), rt.instance.set_limit(seconds | None)",
        "the instance is the one the Service-CRN header names",
    ),
    Migration(
        "GET",
        "/instances",
        "/v1/instances/usage",
        ("GET /v1/instances/usage",),
        "rt.instance.usage()",
        "usage of the instance in the current period",
    ),
    # Job-related endpoints.
    Migration(
        "GET",
        "/facade/v1/jobs",
        "/v1/jobs",
        ("GET /v1/jobs",),
        "rt.jobs.list()",
        "the instance CRN header replaces the provider query parameter",
    ),
    Migration(
        "POST",
        "/facade/v1/jobs",
        "/v1/jobs",
        ("POST /v1/jobs",),
        "rt.jobs.run_sampler(), rt.jobs.run_estimator(), rt.jobs.create()",
        "no hub, group or project (the CRN header); no private parameter",
    ),
    Migration("GET", "/facade/v1/jobs/tags", "/v1/tags", ("GET /v1/tags",), "rt.tags.search(text)"),
    Migration(
        "GET",
        "/facade/v1/jobs/{id}/type",
        "N/A",
        (),
        "",
        "the job's program is in the job itself: rt.jobs.get(id).program_id",
    ),
    Migration("GET", "/jobs", "/v1/jobs", ("GET /v1/jobs",), "rt.jobs.list()"),
    Migration("GET", "/jobs/{id}", "/v1/jobs/{id}", ("GET /v1/jobs/{id}",), "rt.jobs.get(id)"),
    Migration(
        "GET",
        "/jobs/{id}/metrics",
        "/v1/jobs/{id}/metrics",
        ("GET /v1/jobs/{id}/metrics",),
        "job.metrics()",
    ),
    Migration(
        "GET", "/jobs/{id}/interim_results", "/v1/jobs/{id}/interim_results", (), "", _GONE_INTERIM
    ),
    Migration(
        "GET",
        "/jobs/{id}/transpiled_circuits",
        "/v1/jobs/{id}/transpiled_circuits",
        (),
        "",
        _GONE_TRANSPILED,
    ),
    Migration(
        "GET", "/jobs/{id}/logs", "/v1/jobs/{id}/logs", ("GET /v1/jobs/{id}/logs",), "job.logs()"
    ),
    Migration(
        "POST",
        "/jobs/{id}/cancel",
        "/v1/jobs/{id}/cancel",
        ("POST /v1/jobs/{id}/cancel",),
        "job.cancel()",
    ),
    Migration(
        "PUT",
        "/jobs/{id}/tags",
        "/v1/jobs/{id}/tags",
        ("PUT /v1/jobs/{id}/tags",),
        "job.set_tags(tags)",
    ),
    Migration("DELETE", "/jobs/{id}", "/v1/jobs/{id}", ("DELETE /v1/jobs/{id}",), "job.delete()"),
    # Session- and workload-related endpoints.
    Migration(
        "POST",
        "/sessions",
        "/v1/sessions",
        ("POST /v1/sessions",),
        "rt.session(backend), rt.batch(backend)",
        "no instance property (the CRN header); max_session_ttl is now max_ttl",
    ),
    Migration(
        "PATCH",
        "/sessions/{id}",
        "/v1/sessions{id}",
        ("PATCH /v1/sessions/{id}",),
        "session.close()",
        "stops accepting jobs; queued jobs still run",
    ),
    Migration(
        "GET",
        "/sessions/{id}",
        "/v1/sessions{id}",
        ("GET /v1/sessions/{id}",),
        "rt.sessions.get(id).details()",
    ),
    Migration("GET", "/sessions/{id}/extended", "N/A", (), ""),
    Migration(
        "DELETE",
        "/sessions/{id}/close",
        "/v1/sessions{id}/close",
        ("DELETE /v1/sessions/{id}/close",),
        "session.cancel()",
        "closes the session and drops its queued jobs",
    ),
    Migration(
        "GET", "/workloads/me", "/v1/workloads", ("GET /v1/workloads",), "rt.workloads.list()"
    ),
    # System-related endpoints.
    Migration(
        "GET",
        "/backends",
        "/v1/backends",
        ("GET /v1/backends",),
        "rt.backends.list()",
        "the CRN header replaces the provider query parameter",
    ),
    Migration(
        "GET",
        "/backends/{name}/status",
        "/v1/backends/{id}/status",
        ("GET /v1/backends/{id}/status",),
        "rt.backends.status(name)",
    ),
    Migration(
        "GET",
        "/backends/{name}/defaults",
        "/v1/backends/{id}/defaults",
        ("GET /v1/backends/{id}/defaults",),
        "rt.backends.defaults(name)",
    ),
    Migration(
        "GET",
        "/backends/{name}/properties",
        "/v1/backends/{id}/properties",
        ("GET /v1/backends/{id}/properties",),
        "rt.backends.properties(name)",
    ),
    Migration(
        "GET",
        "/v1/backends/{name}/configuration",
        "/v1/backends/{id}/configuration",
        ("GET /v1/backends/{id}/configuration",),
        "rt.backends.configuration(name)",
        "the guide prints the classic path with /v1",
    ),
    # Analytics- and usage-related endpoints.
    Migration(
        "GET",
        "/usage",
        "NA: Removed without replacement",
        (),
        "",
        "an instance's own usage is GET /v1/instances/usage (rt.instance.usage())",
    ),
    Migration(
        "GET",
        "/analytics/usage",
        "/v1/analytics/usage",
        ("GET /v1/analytics/usage",),
        "rt.analytics.usage()",
    ),
    Migration(
        "GET",
        "/analytics/filters",
        "/v1/analytics/filters",
        ("GET /v1/analytics/filters",),
        "rt.analytics.filters()",
    ),
    Migration(
        "GET",
        "/analytics/usage-grouped",
        "/v1/analytics/usage-grouped",
        ("GET /v1/analytics/usage_grouped",),
        "rt.analytics.usage_grouped(group_by)",
        "the API's path has an underscore: usage_grouped",
    ),
    Migration(
        "GET",
        "/analytics/usage-grouped-by-date",
        "/v1/analytics/usage-grouped-by-date",
        ("GET /v1/analytics/usage_grouped_by_date",),
        "rt.analytics.usage_grouped_by_date()",
        "the API's path has underscores: usage_grouped_by_date",
    ),
)

# Hosts and prefixes the classic API was served under; a pasted URL loses them.
_CLASSIC_PREFIXES = (
    "https://api.quantum-computing.ibm.com/runtime",
    "https://api.quantum-computing.ibm.com",
    "https://us-east.quantum-computing.cloud.ibm.com",
    "https://quantum.cloud.ibm.com/api",
    "/runtime",
    "/api",
)
_PARAMETER = re.compile(r"\{[^}]*\}")


def _shape(path: str) -> str:
    """A path reduced for comparison: no host, query, trailing slash or parameter names."""
    text = path.strip().split("?", 1)[0].replace("\\", "")
    for prefix in _CLASSIC_PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    text = "/" + text.strip("/")
    return _PARAMETER.sub("{}", text)


def _matches(template: str, path: str) -> bool:
    """Whether ``path`` (a template, or a path with real ids) fits the route ``template``."""
    want, got = _shape(template).split("/"), _shape(path).split("/")
    return len(want) == len(got) and all(
        w == g or w == "{}" or g == "{}" for w, g in zip(want, got, strict=True)
    )


def lookup(method: str, path: str) -> list[Migration]:
    """The rows for a classic ``method`` and ``path`` (``{id}``, ``{name}``, any ``{x}``, or a
    real id; a full classic URL works too)."""
    verb = method.strip().upper()
    rows = [row for row in MIGRATIONS if row.method == verb and _matches(row.classic, path)]
    # A literal segment beats a parameter: GET /jobs/tags is not GET /jobs/{id}.
    exact = [row for row in rows if _shape(row.classic) == _shape(path)]
    return exact or rows


def _new_api_operation(method: str, path: str) -> str | None:
    """``METHOD /v1/...`` if ``path`` (or ``/v1`` + ``path``) is an operation of today's API."""
    from ._operations import OPERATIONS

    shape = _shape(path)
    candidate = shape if shape.startswith("/v1/") else "/v1" + shape
    found = {
        operation
        for operations in OPERATIONS.values()
        for operation in operations
        if operation.split(" ", 1)[0] == method.strip().upper()
        and _matches(operation.split(" ", 1)[1], candidate)
    }
    exact = sorted(op for op in found if _shape(op.split(" ", 1)[1]) == candidate)
    chosen = exact or sorted(found)
    return chosen[0] if chosen else None


def _callers(operation: str) -> list[str]:
    """The public methods that send ``operation``, the most direct first (at most three)."""
    from ._operations import OPERATIONS

    callers = [(len(ops), key) for key, ops in OPERATIONS.items() if operation in ops]
    return [key for _, key in sorted(callers)[:3]]


def explain(method: str, path: str) -> str | None:
    """What ``qrt migrate`` prints for a classic endpoint; None when nothing is known of it."""
    rows = lookup(method, path)
    if rows:
        return "\n".join(_describe(row) for row in rows)
    operation = _new_api_operation(method, path)
    if operation is None:
        return None
    callers = ", ".join(_callers(operation)) or "see facade/qiskit_runtime_rest/_operations.py"
    if _shape(path).startswith("/v1/"):
        return f"{operation} is already a route of the new API\n  facade: {callers}"
    return (
        f"{method.upper()} {path} -> {operation}\n"
        "  from the Qiskit Runtime on IBM Cloud API: same endpoint, now under /v1 on "
        "https://quantum.cloud.ibm.com/api\n"
        f"  facade: {callers}"
    )


def _describe(row: Migration) -> str:
    head = f"{row.method} {row.classic} -> "
    head += ", ".join(row.new) if row.new else REMOVED
    lines = [head]
    if row.facade:
        lines.append(f"  facade: {row.facade}")
    if row.note:
        lines.append(f"  note: {row.note}")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|") if text else ""


def markdown_table() -> str:
    """The README's migration table, generated from ``MIGRATIONS``."""
    lines = [
        "| classic endpoint | new API | facade | note |",
        "|---|---|---|---|",
    ]
    for row in MIGRATIONS:
        new = "<br>".join(f"`{op}`" for op in row.new) if row.new else REMOVED
        facade = f"`{row.facade}`" if row.facade else "none"
        lines.append(
            f"| `{row.method} {row.classic}` | {new} | {_cell(facade)} | {_cell(row.note)} |"
        )
    return "\n".join(lines)
