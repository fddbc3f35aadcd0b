"""The rows of the API that are easy to leave thin, through the facade, against the emulator:
each call's query reaches the service as the spec names it (read back from the emulator's
journal), in both flavours. That every operation of the spec is reachable at all is proved in
``test_operations_declared.py``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import flavours
import pytest

pytest.importorskip("qiskit_runtime_emulator._app", reason="needs the [local] extra")

from qiskit_runtime_emulator import Emulator
from qiskit_runtime_rest import AsyncRuntimeClient, InvalidInputError, RuntimeClient

ONE = 'OPENQASM 3.0; include "stdgates.inc"; bit[1] c; x $0; c[0] = measure $0;'


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(job_delays=0.01) as emu:
        yield emu


@pytest.fixture
def rt(emulator: Emulator, flavour: str) -> Iterator[Any]:
    settings = {
        "api_key": emulator.api_key,
        "crn": emulator.crn,
        "base_url": emulator.base_url,
        "iam_url": emulator.iam_url,
    }
    client: Any = (
        flavours.Blocking(AsyncRuntimeClient(**settings))
        if flavour == "async"
        else RuntimeClient(**settings)
    )
    with client:
        yield client


def _last_query(emulator: Emulator, operation: str) -> dict[str, list[str]]:
    method, template = operation.split(" ", 1)
    return emulator.journal.entries(method, template)[-1].query


def test_backends_list_fields(rt: Any, emulator: Emulator) -> None:
    devices = rt.backends.list(fields="wait_time_seconds")
    assert _last_query(emulator, "GET /v1/backends") == {"fields": ["wait_time_seconds"]}
    assert all(device.wait_time_seconds is not None for device in devices)
    assert all(device.wait_time_seconds is None for device in rt.backends.list())
    assert _last_query(emulator, "GET /v1/backends") == {}
    with pytest.raises(InvalidInputError, match="wait_time_seconds"):
        rt.backends.list(fields=["queue"])


def test_properties_and_configuration_by_calibration(rt: Any, emulator: Emulator) -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    properties = rt.backends.properties("ibm_fez", calibration_id="cal-1", updated_before=when)
    assert properties["backend_name"] == "ibm_fez"
    assert _last_query(emulator, "GET /v1/backends/{id}/properties") == {
        "calibration_id": ["cal-1"],
        "updated_before": ["2026-01-02T03:04:05Z"],
    }
    configuration = rt.backends.configuration("ibm_fez", calibration_id="cal-1")
    assert configuration["backend_name"] == "ibm_fez"
    query = _last_query(emulator, "GET /v1/backends/{id}/configuration")
    assert query == {"calibration_id": ["cal-1"]}


def test_instance_limit_set_and_clear(rt: Any) -> None:
    rt.instance.set_limit(7200)
    assert rt.instance.configuration().instance_limit == 7200
    rt.instance.set_limit(None)
    assert rt.instance.configuration().instance_limit is None
    with pytest.raises(InvalidInputError):
        rt.instance.set_limit(0.5)


def test_accounts_get_with_or_without_the_a_prefix(rt: Any, emulator: Emulator) -> None:
    account_id = rt.crn.split(":")[6].removeprefix("a/")
    default = rt.accounts.get()
    assert rt.accounts.get(account_id) == default
    assert rt.accounts.get(f"a/{account_id}") == default
    paths = [e.path for e in emulator.journal.entries("GET", "/v1/accounts/{id}")[-3:]]
    assert paths == [f"/api/v1/accounts/{account_id}"] * 3


def test_workloads_walk_every_page(rt: Any, emulator: Emulator) -> None:
    for _ in range(3):
        rt.jobs.run_sampler("ibm_fez", [ONE], shots=4, tags=["paged"]).wait(60)
    since = emulator.journal.last_seq
    workloads = list(rt.workloads.list(page_size=1, limit=3))
    assert len({w.id for w in workloads}) == 3
    pages = emulator.journal.entries("GET", "/v1/workloads", since=since)
    assert len(pages) == 3
    assert "next" not in pages[0].query and all("next" in p.query for p in pages[1:])


def test_the_four_analytics_calls(rt: Any, emulator: Emulator) -> None:
    start, end = "2020-01-01T00:00:00Z", "2100-01-01T00:00:00Z"
    usage = rt.analytics.usage(backend="ibm_fez", interval_start=start, interval_end=end)
    assert isinstance(usage, dict)
    assert _last_query(emulator, "GET /v1/analytics/usage") == {
        "backend": ["ibm_fez"],
        "interval_start": [start],
        "interval_end": [end],
    }
    grouped = rt.analytics.usage_grouped("backend", simulators=False)
    assert "data" in grouped
    query = _last_query(emulator, "GET /v1/analytics/usage_grouped")
    assert query == {"group_by": ["backend"], "simulators": ["false"]}
    by_date = rt.analytics.usage_grouped_by_date(instance=[rt.crn])
    assert "data" in by_date
    query = _last_query(emulator, "GET /v1/analytics/usage_grouped_by_date")
    assert query == {"group_by": ["instance"], "instance": [rt.crn]}
    assert "backends" in rt.analytics.filters()
    with pytest.raises(InvalidInputError):
        rt.analytics.usage_grouped("colour")


def test_tags_search(rt: Any, emulator: Emulator) -> None:
    rt.jobs.run_sampler("ibm_fez", [ONE], shots=4, tags=["searchable-tag"]).wait(60)
    assert "searchable-tag" in rt.tags.search("searchable")
    assert _last_query(emulator, "GET /v1/tags") == {"type": ["job"], "search": ["searchable"]}
    with pytest.raises(InvalidInputError):
        rt.tags.search("ab")
