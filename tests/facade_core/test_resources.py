from __future__ import annotations

import asyncio
import json
import logging
import re
import warnings
from datetime import UTC, date, datetime
from typing import Any

import pytest
from core_helpers import FakeApi, json_response, make_async_client, make_client
from qiskit_runtime_rest import (
    ApiVersionWarning,
    Backend,
    InvalidInputError,
    NotFoundError,
)
from qiskit_runtime_rest._models import (
    ApiVersion,
    check_pinned_version,
    parse_versions,
    version_advice,
)

# Each test runs with the sync client and with the async one (tests/flavours.py).
pytestmark = pytest.mark.usefixtures("flavour")

DEVICE = {
    "name": "ibm_fez",
    "status": {"name": "online", "reason": "available"},
    "is_simulator": False,
    "qubits": 156,
    "clops": {"type": "hardware", "value": 195000},
    "processor_type": {"family": "Heron", "revision": "2"},
    "queue_length": 12,
    "performance_metrics": {"two_q_error_best": {"value": 0.0012}},
    "new_field_the_api_added": {"x": 1},
}


def _client(api: FakeApi) -> Any:
    return make_client(api, bearer_token="t", api_key=None)


def _query(api: FakeApi, path: str) -> str:
    return api.api_requests(path)[-1].url.query.decode()


def test_backends_list_parses_devices_leniently() -> None:
    api = FakeApi()
    api.script("GET", "/api/v1/backends", json_response(200, {"devices": [DEVICE, {"bad": 1}]}))
    (backend,) = _client(api).backends.list()
    assert backend == Backend(
        name="ibm_fez",
        status="online",
        status_reason="available",
        is_simulator=False,
        num_qubits=156,
        queue_length=12,
        processor_type={"family": "Heron", "revision": "2"},
        clops={"type": "hardware", "value": 195000},
        performance_metrics={"two_q_error_best": {"value": 0.0012}},
    )
    assert backend.body["new_field_the_api_added"] == {"x": 1}
    assert _query(api, "/v1/backends") == ""


def test_backends_list_with_wait_time_and_the_old_name_list_shape() -> None:
    api = FakeApi()
    waits = {**DEVICE, "wait_time_seconds": {"average": 10, "p50": 8, "p95": 30}}
    api.script("GET", "/api/v1/backends", json_response(200, {"devices": [waits]}))
    rt = _client(api)
    assert rt.backends.list(include_wait_time=True)[0].wait_time_seconds == {
        "average": 10,
        "p50": 8,
        "p95": 30,
    }
    assert _query(api, "/v1/backends") == "fields=wait_time_seconds"
    api.script("GET", "/api/v1/backends", json_response(200, {"devices": ["ibm_a", "ibm_b"]}))
    assert [b.name for b in rt.backends.list()] == ["ibm_a", "ibm_b"]


def test_backend_status_and_documents() -> None:
    api = FakeApi()
    status = {"state": True, "status": "active", "message": "", "length_queue": 3}
    api.script("GET", "/api/v1/backends/ibm_fez/status", json_response(200, status))
    config = {"backend_name": "ibm_fez", "n_qubits": 156, "basis_gates": ["cz", "rz", "sx", "x"]}
    api.script("GET", "/api/v1/backends/ibm_fez/configuration", json_response(200, config))
    api.script("GET", "/api/v1/backends/ibm_fez/properties", json_response(200, {"qubits": []}))
    api.script(
        "GET", "/api/v1/backends/ibm_fez/defaults", json_response(200, {"qubit_freq_est": []})
    )
    rt = _client(api)
    result = rt.backends.status("ibm_fez")
    assert (result.name, result.state, result.status, result.length_queue) == (
        "ibm_fez",
        True,
        "active",
        3,
    )
    assert rt.backends.configuration("ibm_fez", calibration_id="cal-1") == config
    assert _query(api, "/configuration") == "calibration_id=cal-1"
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert rt.backends.properties("ibm_fez", updated_before=when) == {"qubits": []}
    assert _query(api, "/properties") == "updated_before=2026-01-02T03%3A04%3A05Z"
    assert rt.backends.defaults("ibm_fez") == {"qubit_freq_est": []}


def test_backend_names_are_path_quoted_and_validated() -> None:
    api = FakeApi()
    with pytest.raises(NotFoundError):
        _client(api).backends.status("a/b")
    assert api.requests[0].url.raw_path == b"/api/v1/backends/a%2Fb/status"
    with pytest.raises(InvalidInputError):
        _client(api).backends.status("")


def test_instance_resource() -> None:
    api = FakeApi()
    instance = {
        "backends": ["ibm_fez", "ibm_torino"],
        "instance_limit_seconds": "3600",
        "plan_id": "pay-as-you-go",
        "usage_allocation_seconds": "7200",
    }
    api.script("GET", "/api/v1/instance", json_response(200, instance))
    api.script("GET", "/api/v1/instances/configuration", json_response(200, {"instance_limit": 60}))
    api.script("PUT", "/api/v1/instances/configuration", json_response(204, None))
    usage = {
        "instance_id": "i",
        "plan_id": "open",
        "usage_period": {"start_time": "2026-01-01T00:00:00Z", "end_time": "2026-02-01T00:00:00Z"},
        "usage_consumed_seconds": 12,
        "usage_limit_seconds": 600,
        "usage_limit_reached": False,
    }
    api.script("GET", "/api/v1/instances/usage", json_response(200, usage))
    rt = _client(api)
    info = rt.instance.get()
    assert info.backends == ("ibm_fez", "ibm_torino")
    assert (info.instance_limit_seconds, info.usage_allocation_seconds) == (3600.0, 7200.0)
    assert rt.instance.configuration().instance_limit == 60
    rt.instance.set_limit(3600)
    rt.instance.set_limit(None)
    bodies = [json.loads(r.content) for r in api.api_requests("/instances/configuration")[1:]]
    assert bodies == [{"instance_limit": 3600}, {"instance_limit": None}]
    used = rt.instance.usage()
    assert (used.usage_consumed_seconds, used.usage_limit_seconds) == (12.0, 600.0)
    assert used.usage_limit_reached is False
    assert used.period_start == datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("bad", [0, -5, 1.5, True, "60"])
def test_instance_limit_is_validated_before_sending(bad: object) -> None:
    api = FakeApi()
    with pytest.raises(InvalidInputError):
        _client(api).instance.set_limit(bad)
    assert api.requests == []


def test_accounts_default_to_the_crn_account_without_prefix() -> None:
    api = FakeApi()
    plans = {"plans": [{"plan_id": "open", "max_ttl": 28800}]}
    api.script(
        "GET", "/api/v1/accounts/b947c1c5a9378d64aed96696e4d76e8e", json_response(200, plans)
    )
    api.script("GET", "/api/v1/accounts/other-1", json_response(200, {"plans": []}))
    rt = _client(api)
    assert rt.accounts.get() == plans
    assert rt.accounts.get("a/other-1", plan_id="p") == {"plans": []}
    assert _query(api, "/accounts/other-1") == "plan_id=p"
    with pytest.raises(InvalidInputError):
        rt.accounts.get("bad id!")


def _page(ids: list[str], next_cursor: str | None) -> dict[str, object]:
    page: dict[str, object] = {
        "workloads": [
            {
                "id": i,
                "status": "completed",
                "mode": "job",
                "tags": ["t"],
                "created": "2026-01-01T00:00:00Z",
            }
            for i in ids
        ],
        "total_count": 5,
        "limit": 2,
    }
    if next_cursor:
        page["next"] = {
            "href": f"https://quantum.cloud.ibm.com/api/v1/workloads?next={next_cursor}"
        }
    return page


def test_workloads_iterate_every_cursor_page() -> None:
    api = FakeApi()
    api.script(
        "GET",
        "/api/v1/workloads",
        json_response(200, _page(["w1", "w2"], "c1")),
        json_response(200, _page(["w3", "w4"], "c2")),
        json_response(200, _page(["w5"], None)),
    )
    rt = _client(api)
    workloads = list(rt.workloads.list(status=["completed", "failed"], page_size=2, mode="job"))
    assert [w.id for w in workloads] == ["w1", "w2", "w3", "w4", "w5"]
    assert workloads[0].created == datetime(2026, 1, 1, tzinfo=UTC)
    queries = [r.url.query.decode() for r in api.api_requests("/v1/workloads")]
    assert queries[0] == "limit=2&status=completed&status=failed&mode=job"
    assert queries[1].endswith("&next=c1")
    assert queries[2].endswith("&next=c2")


def test_workloads_limit_and_loop_guard() -> None:
    api = FakeApi()
    api.script("GET", "/api/v1/workloads", json_response(200, _page(["w1", "w2"], "same")))
    rt = _client(api)
    assert [w.id for w in rt.workloads.list(limit=3)] == ["w1", "w2", "w1"]
    api.requests.clear()
    assert len(list(rt.workloads.list())) == 4  # the repeated cursor ends the iteration
    assert len(api.requests) == 2
    with pytest.raises(InvalidInputError):
        rt.workloads.list(page_size=51)


def test_workloads_stop_fetching_once_the_limit_is_reached() -> None:
    api = FakeApi()
    api.script(
        "GET",
        "/api/v1/workloads",
        json_response(200, _page(["w1", "w2"], "c1")),
        json_response(200, _page(["w3"], None)),
    )
    rt = _client(api)
    assert [w.id for w in rt.workloads.list(limit=2)] == ["w1", "w2"]
    assert len(api.requests) == 1  # the page that filled the limit is the last one asked for
    assert list(rt.workloads.list(limit=0)) == []
    assert len(api.requests) == 1

    async def main() -> list[str]:
        async with make_async_client(api, bearer_token="t", api_key=None) as art:
            return [w.id async for w in art.workloads.list(limit=1)]

    api.requests.clear()
    api.script("GET", "/api/v1/workloads", json_response(200, _page(["w1", "w2"], "c1")))
    assert asyncio.run(main()) == ["w1"]
    assert len(api.requests) == 1


def test_analytics_send_repeated_filters_and_validate_group_by() -> None:
    api = FakeApi()
    for route in ("usage", "usage_grouped", "usage_grouped_by_date", "filters"):
        api.script("GET", f"/api/v1/analytics/{route}", json_response(200, {"data": [route]}))
    rt = _client(api)
    assert rt.analytics.usage(backend=["a", "b"], simulators=False) == {"data": ["usage"]}
    assert _query(api, "/analytics/usage") == "backend=a&backend=b&simulators=false"
    rt.analytics.usage_grouped("backend", interval_start=date(2026, 1, 1))
    assert _query(api, "/usage_grouped") == "group_by=backend&interval_start=2026-01-01"
    rt.analytics.usage_grouped_by_date()
    assert _query(api, "/usage_grouped_by_date") == "group_by=instance"
    assert rt.analytics.filters(instance="crn") == {"data": ["filters"]}
    with pytest.raises(InvalidInputError):
        rt.analytics.usage_grouped("colour")


def test_tags_search() -> None:
    api = FakeApi()
    api.script("GET", "/api/v1/tags", json_response(200, {"tags": ["exp-1", "exp-2"]}))
    rt = _client(api)
    assert rt.tags.search("exp") == ["exp-1", "exp-2"]
    assert _query(api, "/v1/tags") == "type=job&search=exp"
    with pytest.raises(InvalidInputError):
        rt.tags.search("ab")


VERSIONS = {
    "versions": [
        {"version": "2025-05-01", "sunset_date": "2027-01-01", "status": "deprecated"},
        {"version": "2026-03-15", "status": "live"},
        {"version": "2026-04-15", "status": "live"},
    ]
}


def _versions_client(api: FakeApi, body: Any = VERSIONS, **kwargs: Any) -> Any:
    api.script("GET", "/api/v1/versions", json_response(200, body))
    return make_client(api, bearer_token="t", api_key=None, **kwargs)


def test_versions_parse_and_no_warning_when_the_pin_is_the_newest() -> None:
    rt = _versions_client(FakeApi())
    assert rt.api_version == "2026-04-15"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        versions = rt.versions()
    assert [v.version for v in versions] == ["2025-05-01", "2026-03-15", "2026-04-15"]
    assert versions[0].is_deprecated and versions[0].sunset_date == date(2027, 1, 1)
    assert parse_versions({"versions": ["2024-01-01"]})[0].status is None


def test_versions_warn_when_the_pin_is_deprecated(caplog: pytest.LogCaptureFixture) -> None:
    rt = _versions_client(FakeApi(), api_version="2025-05-01")
    expected = (
        "IBM-API-Version 2025-05-01 is deprecated (sunset 2027-01-01). The newest version the "
        "service lists is 2026-04-15."
    )
    with pytest.warns(ApiVersionWarning, match=re.escape(expected)):
        rt.versions()
    assert any(r.levelno == logging.WARNING and "deprecated" in r.message for r in caplog.records)


def test_versions_warn_once_when_the_service_lists_a_newer_version(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = FakeApi()
    rt = _versions_client(api, api_version="2026-03-15")
    with pytest.warns(ApiVersionWarning) as caught:
        rt.versions()
    (warning,) = caught
    assert str(warning.message).startswith(
        "The service lists IBM-API-Version 2026-04-15, newer than the pinned 2026-03-15."
    )
    assert "changelog" in str(warning.message)
    # Once per process: another call, or another client with the same pin, stays quiet.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rt.versions()
        make_client(api, bearer_token="t", api_key=None, api_version="2026-03-15").versions()
    assert sum("newer than the pinned" in r.message for r in caplog.records) == 1


def test_newer_means_a_later_date_that_is_not_deprecated() -> None:
    listed = parse_versions(
        {
            "versions": [
                {"version": "2026-04-15", "status": "live"},
                {"version": "2026-05-01", "status": "deprecated"},
                {"version": "not-a-date", "status": "live"},
            ]
        }
    )
    assert version_advice(listed, "2026-04-15", date(2026, 6, 1)) is None
    listed.append(ApiVersion("2026-06-01"))  # spec 0.25.0 lists bare dates, without a status
    advice = version_advice(listed, "2026-04-15", date(2026, 6, 1))
    assert advice is not None and "lists IBM-API-Version 2026-06-01" in advice


def test_versions_warn_when_the_pin_is_past_sunset() -> None:
    versions = parse_versions(VERSIONS)
    with pytest.warns(ApiVersionWarning, match="passed its sunset date 2027-01-01") as caught:
        check_pinned_version(versions, "2025-05-01", date(2027, 1, 2))
    assert "The newest version the service lists is 2026-04-15" in str(caught[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_pinned_version(versions, "2026-04-15", date(2030, 1, 1)) is None
        assert check_pinned_version(versions, "2099-01-01", date(2030, 1, 1)) is None


def test_a_newer_version_with_the_pins_sunset_date() -> None:
    listed = parse_versions(
        {
            "versions": [
                {"version": "2026-04-15", "status": "live", "sunset_date": "2027-04-15"},
                {"version": "2026-09-01", "status": "live"},
            ]
        }
    )
    advice = version_advice(listed, "2026-04-15", date(2026, 10, 1))
    assert advice is not None
    assert advice.startswith(
        "The service lists IBM-API-Version 2026-09-01, newer than the pinned 2026-04-15 "
        "(sunset 2027-04-15)."
    )


def test_async_resources_mirror_the_sync_ones() -> None:
    api = FakeApi()
    api.script("GET", "/api/v1/backends", json_response(200, {"devices": [DEVICE]}))
    api.script("GET", "/api/v1/backends/ibm_fez/status", json_response(200, {"length_queue": 1}))
    api.script("GET", "/api/v1/instance", json_response(200, {"plan_id": "open"}))
    api.script("GET", "/api/v1/tags", json_response(200, {"tags": ["x"]}))
    api.script("GET", "/api/v1/analytics/filters", json_response(200, {"backends": []}))
    api.script("GET", "/api/v1/accounts/b947c1c5a9378d64aed96696e4d76e8e", json_response(200, {}))
    api.script(
        "GET",
        "/api/v1/workloads",
        json_response(200, _page(["w1"], "c1")),
        json_response(200, _page(["w2"], None)),
    )
    api.script("GET", "/api/v1/versions", json_response(200, VERSIONS))

    async def main() -> None:
        async with make_async_client(api, bearer_token="t", api_key=None) as rt:
            assert (await rt.backends.list())[0].num_qubits == 156
            assert (await rt.backends.status("ibm_fez")).length_queue == 1
            assert (await rt.instance.get()).plan_id == "open"
            assert await rt.tags.search("xyz") == ["x"]
            assert await rt.analytics.filters() == {"backends": []}
            assert await rt.accounts.get() == {}
            assert [w.id async for w in rt.workloads.list()] == ["w1", "w2"]
            assert len(await rt.versions()) == 3

    asyncio.run(main())
