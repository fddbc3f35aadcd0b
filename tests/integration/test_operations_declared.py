"""No facade method sends a request its ``_operations.OPERATIONS`` entry does not declare.

Every public sync method is wrapped so that, while it runs (or while the iterator it returned is
advanced), each API request is attributed to it and to every method that called it; then one
scenario against the emulator calls them all. Under-declaring would hide a dependency from the
regeneration report, so this is the check that can fail when someone adds a call and forgets the
table.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("qiskit_runtime_emulator._app", reason="needs the [local] extra")

import qiskit_runtime_rest
from qiskit_runtime_rest import ConflictError, RuntimeClient
from qiskit_runtime_rest._operations import OPERATIONS, RESOURCE_ATTRIBUTES

ROOT = Path(__file__).resolve().parents[2]
SPEC = json.loads((ROOT / "generated" / "qiskit_runtime_api" / "openapi.json").read_text())
ONE = 'OPENQASM 3.0; include "stdgates.inc"; bit[1] c; x $0; c[0] = measure $0;'
_active: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("active", default=())


def _route_matchers() -> list[tuple[str, re.Pattern[str], str]]:
    matchers = []
    for path, item in SPEC["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
        for method in item:
            matchers.append((method.upper(), pattern, f"{method.upper()} {path}"))
    return matchers


MATCHERS = _route_matchers()


def operation_of(request: httpx.Request) -> str | None:
    path = request.url.path
    if "/v1/" not in path:
        return None  # IAM
    route = "/v1/" + path.split("/v1/", 1)[1]
    for method, pattern, operation in MATCHERS:
        if method == request.method and pattern.match(route):
            return operation
    return f"{request.method} {route} (not in the spec)"


def _attributed(key: str, iterator: Iterator[Any]) -> Iterator[Any]:
    while True:
        token = _active.set((*_active.get(), key))
        try:
            item = next(iterator)
        except StopIteration:
            return
        finally:
            _active.reset(token)
        yield item


def _wrap(key: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = _active.set((*_active.get(), key))
        try:
            result = function(*args, **kwargs)
        finally:
            _active.reset(token)
        if inspect.isgenerator(result):
            return _attributed(key, result)
        return result

    return wrapper


def _classes(rt: RuntimeClient) -> dict[str, type]:
    classes: dict[str, type] = {}
    for key in OPERATIONS:
        name = key.split(".")[0]
        if name in RESOURCE_ATTRIBUTES:
            classes[name] = type(getattr(rt, RESOURCE_ATTRIBUTES[name]))
        elif name == "RuntimeClient":
            classes[name] = RuntimeClient
        else:
            classes[name] = getattr(qiskit_runtime_rest, name)
    return classes


def _scenario(rt: RuntimeClient) -> None:
    rt.versions()
    rt.authenticate()
    for name in [b.name for b in rt.backends.list()][:1]:
        rt.backends.status(name)
        rt.backends.configuration(name)
        rt.backends.properties(name)
        rt.backends.defaults(name)
        rt.backends.target(name)
    rt.instance.get()
    rt.instance.set_limit(None)
    rt.instance.configuration()
    rt.instance.usage()
    rt.accounts.get()
    list(rt.workloads.list(limit=3))
    rt.analytics.usage()
    rt.analytics.usage_grouped("backend")
    rt.analytics.usage_grouped_by_date()
    rt.analytics.filters()

    job = rt.jobs.run_sampler("ibm_fez", [ONE], shots=10, tags=["declared"])
    job.status()  # still queued: a final job's status is known without a request
    job.result()  # polls until final, then reads the results
    job.wait(60)
    job.refresh()
    rt.jobs.get(job.id).result()
    job.logs()
    job.metrics()
    job.set_tags(["declared", "again"])
    rt.tags.search("declared")
    list(rt.jobs.list(limit=2))
    rt.transpile(ONE, "ibm_pittsburgh")  # a Target not built yet: its documents are read
    rt.jobs.run_sampler("ibm_fez", [ONE], shots=10, transpile=True).wait(60)
    rt.transpiler_service.transpile(ONE, "ibm_fez")  # another host: no API operation
    estimator = rt.jobs.run_estimator("ibm_fez", [(ONE, {"Z": 1})])
    other = rt.jobs.create("sampler", "ibm_fez", {"pubs": [[ONE]], "version": 2})
    rt.jobs.wait_all([estimator, other], timeout=60)
    estimator.delete()
    queued = rt.jobs.run_sampler("ibm_fez", [ONE], shots=10)
    with contextlib.suppress(ConflictError):  # it may have finished: the request was sent
        queued.cancel()

    with rt.session("ibm_fez") as session:
        session.run_sampler([ONE], shots=10).wait(60)
        session.run_estimator([(ONE, {"Z": 1})]).wait(60)
        session.jobs()
        session.details()
        rt.sessions.get(session.id, backend="ibm_fez")
    with rt.batch("ibm_fez") as batch:
        batch.close()
    rt.sessions.open("ibm_fez", mode="batch").cancel()
    rt.logout()
    rt.backends.list()  # a new token, after the old one was logged out


def test_no_facade_method_sends_an_undeclared_request(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, set[str]] = defaultdict(set)

    def record(request: httpx.Request) -> None:
        operation = operation_of(request)
        if operation is not None:
            for key in _active.get():
                seen[key].add(operation)

    with RuntimeClient.local(job_delays=0.02, seed=3) as rt:
        for key in OPERATIONS:
            name, method = key.split(".")
            cls = _classes(rt)[name]
            if isinstance(inspect.getattr_static(cls, method), staticmethod | classmethod):
                continue  # constructors and file helpers: no request of their own
            monkeypatch.setattr(cls, method, _wrap(key, getattr(cls, method)))
        rt._http.event_hooks["request"].append(record)
        _scenario(rt)

    undeclared = {
        key: sorted(ops - set(OPERATIONS[key]))
        for key, ops in seen.items()
        if ops - set(OPERATIONS[key])
    }
    assert undeclared == {}
    # The scenario reached every method that calls the API at all.
    unexercised = sorted(key for key, ops in OPERATIONS.items() if ops and not seen.get(key))
    assert unexercised == []
    # Every operation of the pinned spec was sent by some public facade method: the whole API
    # is reachable from the facade. A regenerated spec with a new operation fails here (and in
    # tests/facade_core/test_operations.py) until a facade method calls it.
    spec_operations = {
        f"{method.upper()} {path}"
        for path, item in SPEC["paths"].items()
        for method in item
        if method in ("get", "put", "post", "delete", "patch")
    }
    reached = set().union(*seen.values())
    assert sorted(spec_operations - reached) == []
