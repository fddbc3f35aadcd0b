"""The emulator accepts what the pinned spec allows, refuses what it forbids, and stays fast.

Issue 10's emulator defects, one test each: an analytics interval of centuries stalled the
server; ``fields`` outside its enum and ``/v1/tags`` without its required ``type`` were
accepted; ``interval_start == interval_end`` was refused; a 405 came without ``Allow``.
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from emulator_helpers import Api
from qiskit_runtime_emulator._constants import ANALYTICS_MAX_DAYS

BY_DATE = "/analytics/usage_grouped_by_date"


def test_usage_by_date_over_centuries_is_refused_at_once_and_stalls_nobody(api: Api) -> None:
    answers: dict[str, float] = {}

    def versions_meanwhile() -> None:
        started = time.perf_counter()
        api.get("/versions")
        answers["versions"] = time.perf_counter() - started

    started = time.perf_counter()
    other = threading.Thread(target=versions_meanwhile)
    other.start()
    response = api.get(
        BY_DATE,
        params={
            "group_by": "instance",
            "interval_start": "1647-01-01T00:00:00Z",
            "interval_end": "2609-01-01T00:00:00Z",
        },
    )
    took = time.perf_counter() - started
    other.join(10)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert isinstance(error["code"], int) and "at most 366" in error["message"]  # GenericErrorDto
    assert took < 2.0 and answers["versions"] < 2.0


def test_usage_by_date_answers_up_to_the_maximum_and_refuses_one_day_more(api: Api) -> None:
    limit = {"interval_start": "2025-01-01T00:00:00Z", "interval_end": "2026-01-02T00:00:00Z"}
    ok = api.get(BY_DATE, params={"group_by": "instance", **limit})
    assert ok.status_code == 200 and len(ok.json()["data"]) == ANALYTICS_MAX_DAYS
    over = {**limit, "interval_end": "2026-01-03T00:00:00Z"}
    assert api.get(BY_DATE, params={"group_by": "instance", **over}).status_code == 400


def test_usage_by_date_counts_each_job_in_its_day(api: Api) -> None:
    api.wait(api.submit("sampler", [["OPENQASM 3.0; bit[1] c; c[0] = measure $0;"]]))
    rows = api.get(BY_DATE, params={"group_by": "instance"}).json()["data"]
    total = api.get("/analytics/usage").json()["jobs"]
    assert sum(row["jobs"] for row in rows) == total >= 1
    assert rows[-1]["jobs"] >= 1  # today's row


@pytest.mark.parametrize("path", [BY_DATE, "/analytics/usage", "/analytics/usage_grouped"])
def test_an_empty_interval_is_allowed(api: Api, path: str) -> None:
    instant = "2026-02-03T04:05:06Z"
    params = {"group_by": "instance", "interval_start": instant, "interval_end": instant}
    response = api.get(path, params=params)
    assert response.status_code == 200, response.text
    if path == BY_DATE:
        rows = response.json()["data"]
        assert len(rows) == 1 and rows[0]["jobs"] == 0


def test_an_interval_that_ends_before_it_starts_is_refused(api: Api) -> None:
    params = {
        "group_by": "instance",
        "interval_start": "2026-02-03T00:00:00Z",
        "interval_end": "2026-02-02T00:00:00Z",
    }
    assert api.get(BY_DATE, params=params).status_code == 400


@pytest.mark.parametrize("fields", ["", "colour", "wait_time_seconds,colour", "Wait_Time_Seconds"])
def test_backend_fields_outside_the_enum_are_refused(api: Api, fields: str) -> None:
    assert api.get("/backends", params={"fields": fields}).status_code == 400


def test_backend_fields_in_the_enum_are_accepted(api: Api) -> None:
    devices = api.get("/backends", params={"fields": "wait_time_seconds"}).json()["devices"]
    assert all("wait_time_seconds" in device for device in devices)
    assert all("wait_time_seconds" not in d for d in api.get("/backends").json()["devices"])


def test_tags_search_needs_its_type(api: Api) -> None:
    assert api.get("/tags", params={"search": "abc"}).status_code == 400
    assert api.get("/tags", params={"type": "job", "search": "abc"}).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PATCH", "/api/v1/jobs", "GET, HEAD, POST"),
        ("PUT", "/api/v1/jobs/abc", "DELETE, GET, HEAD"),
        ("POST", "/api/v1/sessions/abc", "GET, HEAD, PATCH"),
        ("GET", "/api/v1/jobs/abc/cancel", "POST"),
        ("DELETE", "/experimental/backends", "GET, HEAD"),
    ],
)
def test_405_names_the_allowed_methods(api: Api, method: str, path: str, allowed: str) -> None:
    response = httpx.request(method, api.emulator.url + path, headers=api.headers())
    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    assert response.json()["errors"][0]["message"].endswith(f"No route for {method} {path}.")
