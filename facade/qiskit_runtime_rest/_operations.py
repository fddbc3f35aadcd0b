"""Which API operations each public facade method calls.

``scripts/regenerate.py`` reads this table to say, when IBM changes the spec, which facade methods
stand on a removed or changed operation (and refuses a regeneration that removes one the facade
still calls). Keys are ``Class.method`` of the public sync surface; each async twin (``AsyncJob``
for ``Job``; renamed methods in ``ASYNC_METHOD_NAMES``) calls the same operations.
Operations are written as the change report keys them: ``METHOD /path`` with the spec's path
template. A method that calls another public method lists that method's operations too.

IBM's transpiler service is another host, outside the pinned spec: its routes are in
``OTHER_HOST_OPERATIONS``, and its methods appear in ``OPERATIONS`` with the API operations they
call (none), so the report never counts them as unwrapped or stale. Kept true by tests: every
operation exists in the pinned spec, every public method is listed, and,
against the emulator, no method sends a request its entry does not declare
(``tests/integration/test_operations_declared.py``). Plain data, importable on its own: the
regeneration script loads this file without importing the package.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["ASYNC_METHOD_NAMES", "OPERATIONS", "OTHER_HOST_OPERATIONS", "RESOURCE_ATTRIBUTES"]

_SUBMIT = ("POST /v1/jobs", "GET /v1/jobs")  # GET: the idempotency lookup after an ambiguous POST
_POLL = "GET /v1/jobs/{id}"
# A Target is built from two documents (rt.backends.target, cached); transpile=True needs one.
_TARGET = ("GET /v1/backends/{id}/configuration", "GET /v1/backends/{id}/properties")
_SUBMIT_TRANSPILED = (*_SUBMIT, *_TARGET)

OPERATIONS: Final[Mapping[str, tuple[str, ...]]] = {
    # The client itself.
    "RuntimeClient.versions": ("GET /v1/versions",),
    "RuntimeClient.session": ("POST /v1/sessions",),
    "RuntimeClient.batch": ("POST /v1/sessions",),
    "RuntimeClient.authenticate": (),  # IAM only
    "RuntimeClient.logout": ("POST /v1/logout",),
    "RuntimeClient.close": (),
    "RuntimeClient.with_options": (),
    "RuntimeClient.from_env": (),
    "RuntimeClient.from_saved_account": (),
    "RuntimeClient.save_account": (),
    "RuntimeClient.local": (),
    "RuntimeClient.__enter__": (),
    "RuntimeClient.__exit__": (),
    "RuntimeClient.transpile": _TARGET,
    # rt.backends
    "Backends.list": ("GET /v1/backends",),
    "Backends.status": ("GET /v1/backends/{id}/status",),
    "Backends.configuration": ("GET /v1/backends/{id}/configuration",),
    "Backends.properties": ("GET /v1/backends/{id}/properties",),
    "Backends.defaults": ("GET /v1/backends/{id}/defaults",),
    "Backends.target": _TARGET,
    # rt.instance, rt.accounts, rt.workloads, rt.analytics, rt.tags
    "Instance.get": ("GET /v1/instance",),
    "Instance.configuration": ("GET /v1/instances/configuration",),
    "Instance.set_limit": ("PUT /v1/instances/configuration",),
    "Instance.usage": ("GET /v1/instances/usage",),
    "Accounts.get": ("GET /v1/accounts/{id}",),
    "Workloads.list": ("GET /v1/workloads",),
    "Analytics.usage": ("GET /v1/analytics/usage",),
    "Analytics.usage_grouped": ("GET /v1/analytics/usage_grouped",),
    "Analytics.usage_grouped_by_date": ("GET /v1/analytics/usage_grouped_by_date",),
    "Analytics.filters": ("GET /v1/analytics/filters",),
    "Tags.search": ("GET /v1/tags",),
    # rt.jobs
    "Jobs.run_sampler": _SUBMIT_TRANSPILED,
    "Jobs.run_estimator": _SUBMIT_TRANSPILED,
    "Jobs.create": _SUBMIT,
    "Jobs.get": (_POLL,),
    "Jobs.list": ("GET /v1/jobs",),
    "Jobs.wait_all": ("GET /v1/jobs", _POLL),
    # a job handle
    "Job.refresh": (_POLL,),
    "Job.status": (_POLL,),
    "Job.wait": (_POLL,),
    # results, then the job's params when the body lacks register widths
    "Job.result": (_POLL, "GET /v1/jobs/{id}/results"),
    "Job.cancel": ("POST /v1/jobs/{id}/cancel",),
    "Job.delete": ("DELETE /v1/jobs/{id}",),
    "Job.logs": ("GET /v1/jobs/{id}/logs",),
    "Job.metrics": ("GET /v1/jobs/{id}/metrics",),
    "Job.set_tags": ("PUT /v1/jobs/{id}/tags",),
    # rt.sessions and a session handle
    "Sessions.open": ("POST /v1/sessions",),
    "Sessions.get": ("GET /v1/sessions/{id}",),
    "Session.run_sampler": _SUBMIT_TRANSPILED,
    "Session.run_estimator": _SUBMIT_TRANSPILED,
    "Session.jobs": ("GET /v1/jobs",),
    "Session.details": ("GET /v1/sessions/{id}",),
    "Session.close": ("PATCH /v1/sessions/{id}",),
    "Session.cancel": ("DELETE /v1/sessions/{id}/close",),
    "Session.__enter__": (),
    "Session.__exit__": ("PATCH /v1/sessions/{id}",),  # leaving the block closes gracefully
    # rt.transpiler_service: another host (OTHER_HOST_OPERATIONS), no API operation
    "TranspilerService.transpile": (),
    "TranspilerService.submit": (),
    "TranspilerService.task": (),
    "TranspilerService.wait": (),
}

# IBM's transpiler service (https://cloud-transpiler.quantum.ibm.com, docs/transpiler-notes.md):
# the routes each method calls, relative to the service's URL. The change report does not cover
# them: the pinned spec does not describe that host.
OTHER_HOST_OPERATIONS: Final[Mapping[str, tuple[str, ...]]] = {
    "TranspilerService.transpile": ("POST /transpile", "GET /transpile/{task_id}"),
    "TranspilerService.submit": ("POST /transpile",),
    "TranspilerService.task": ("GET /transpile/{task_id}",),
    "TranspilerService.wait": ("GET /transpile/{task_id}",),
}

# How user code reaches each namespace class (``rt.backends.list()``); the handle classes (Job,
# Session) and the client are reached through variables of any name.
RESOURCE_ATTRIBUTES: Final[Mapping[str, str]] = {
    "Backends": "backends",
    "Instance": "instance",
    "Accounts": "accounts",
    "Workloads": "workloads",
    "Analytics": "analytics",
    "Tags": "tags",
    "Jobs": "jobs",
    "Sessions": "sessions",
    "TranspilerService": "transpiler_service",
}

# Where an async twin's method is named differently from the sync one.
ASYNC_METHOD_NAMES: Final[Mapping[str, str]] = {
    "RuntimeClient.close": "aclose",
    "RuntimeClient.__enter__": "__aenter__",
    "RuntimeClient.__exit__": "__aexit__",
    "Session.__enter__": "__aenter__",
    "Session.__exit__": "__aexit__",
}
