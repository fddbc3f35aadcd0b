from __future__ import annotations

import asyncio

import httpx
import pytest
from core_helpers import FakeApi, json_response, make_async_client, make_client
from qiskit_runtime_rest import (
    ApiConnectionError,
    ApiTimeoutError,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from qiskit_runtime_rest._constants import MAX_RATE_LIMIT_RETRIES, MAX_RETRY_DELAY
from qiskit_runtime_rest._retry import RetryPolicy

# Each test runs with the sync client and with the async one (tests/flavours.py).
pytestmark = pytest.mark.usefixtures("flavour")

OK = json_response(200, {"ok": True})
UNAVAILABLE = json_response(503, {"errors": [{"code": "5030", "message": "maintenance"}]})
PATH = "/api/v1/thing"


def _send(
    method: str, status_first: httpx.Response | BaseException, **client_kwargs: object
) -> tuple[FakeApi, list[float], httpx.Response | Exception]:
    api = FakeApi()
    api.script(method, PATH, status_first, OK)
    sleeps: list[float] = []
    rt = make_client(api, sleeps=sleeps, **client_kwargs)
    try:
        response = rt._request(method, "/v1/thing")
    except Exception as exc:
        return api, sleeps, exc
    return api, sleeps, response


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504, 520, 521, 522, 524])
def test_get_is_retried_on_each_transient_status(status: int) -> None:
    api, sleeps, result = _send("GET", json_response(status, {}))
    assert isinstance(result, httpx.Response) and result.status_code == 200
    assert len(api.api_requests(PATH)) == 2
    assert len(sleeps) == 1


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "HEAD"])
def test_idempotent_methods_are_retried_on_5xx_and_connection_errors(method: str) -> None:
    api, _, result = _send(method, UNAVAILABLE)
    assert isinstance(result, httpx.Response)
    assert len(api.api_requests(PATH)) == 2
    api, _, result = _send(method, httpx.ReadError("connection reset"))
    assert isinstance(result, httpx.Response)
    assert len(api.api_requests(PATH)) == 2


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize("status", [500, 503, 524])
def test_post_and_patch_are_never_retried_after_an_answer(method: str, status: int) -> None:
    api, sleeps, result = _send(method, json_response(status, {"message": "no"}))
    assert isinstance(result, ServerError)
    assert len(api.api_requests(PATH)) == 1
    assert sleeps == []


@pytest.mark.parametrize("method", ["POST", "PATCH", "GET"])
def test_a_429_is_retried_for_any_method_honouring_retry_after(method: str) -> None:
    # A 429 means the server did not take the request: even POST /v1/jobs is safe to resend.
    limited = json_response(429, {"message": "slow down"}, **{"Retry-After": "1"})
    api = FakeApi()
    api.script(method, PATH, limited, limited, OK)
    sleeps: list[float] = []
    response = make_client(api, sleeps=sleeps)._request(method, "/v1/thing")
    assert response.status_code == 200
    assert len(api.api_requests(PATH)) == 3
    assert sleeps == [1.0, 1.0]


def test_rate_limits_have_their_own_budget_and_max_retries_0_turns_them_off() -> None:
    api = FakeApi()
    api.script("POST", PATH, json_response(429, {"message": "slow down"}))
    with pytest.raises(RateLimitError):
        make_client(api)._request("POST", "/v1/thing")
    assert len(api.api_requests(PATH)) == 1 + MAX_RATE_LIMIT_RETRIES
    api, sleeps, result = _send("POST", json_response(429, {}), max_retries=0)
    assert isinstance(result, RateLimitError) and sleeps == []


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize(
    "failure", [httpx.ReadTimeout("slow"), httpx.ReadError("reset"), httpx.RemoteProtocolError("x")]
)
def test_post_and_patch_are_not_retried_once_the_request_may_have_left(
    method: str, failure: Exception
) -> None:
    api, sleeps, result = _send(method, failure)
    assert isinstance(result, ApiConnectionError)
    assert isinstance(result, ApiTimeoutError) == isinstance(failure, httpx.TimeoutException)
    assert len(api.api_requests(PATH)) == 1
    assert sleeps == []


@pytest.mark.parametrize("method", ["POST", "PATCH", "GET"])
@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.PoolTimeout("busy")],
)
def test_requests_that_never_left_the_client_are_retried_for_every_method(
    method: str, failure: Exception
) -> None:
    api, sleeps, result = _send(method, failure)
    assert isinstance(result, httpx.Response) and result.status_code == 200
    assert len(api.api_requests(PATH)) == 2
    assert len(sleeps) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 501])
def test_other_statuses_are_not_retried(status: int) -> None:
    api, sleeps, result = _send(
        "GET", json_response(status, {"message": "x"}), api_key=None, bearer_token="t"
    )
    assert isinstance(result, Exception)
    assert len(api.api_requests(PATH)) == 1
    assert sleeps == []


def test_backoff_is_exponential_jittered_and_capped() -> None:
    api = FakeApi()
    api.script("GET", PATH, UNAVAILABLE)
    sleeps: list[float] = []
    rt = make_client(api, sleeps=sleeps, max_retries=3)
    with pytest.raises(ServerError) as caught:
        rt._request("GET", "/v1/thing")
    assert caught.value.status_code == 503
    assert caught.value.message == "maintenance"
    assert len(api.api_requests(PATH)) == 4
    assert len(sleeps) == 3
    for attempt, delay in enumerate(sleeps):
        nominal = 0.5 * 2**attempt
        assert 0.75 * nominal <= delay <= nominal
    policy = RetryPolicy(random=lambda: 0.0)
    assert policy.backoff(20) == MAX_RETRY_DELAY
    assert RetryPolicy(random=lambda: 1.0).backoff(0) == pytest.approx(0.375)


def test_retry_after_is_honoured() -> None:
    _, sleeps, result = _send("GET", json_response(429, {}, **{"Retry-After": "7"}))
    assert isinstance(result, httpx.Response)
    assert sleeps == [7.0]


def test_a_long_retry_after_means_do_not_retry() -> None:
    api, sleeps, result = _send(
        "GET", json_response(429, {"code": 1202}, **{"Retry-After": "3600"})
    )
    assert isinstance(result, RateLimitError)
    assert result.retry_after == 3600
    assert sleeps == []
    assert len(api.api_requests(PATH)) == 1


def test_connection_errors_become_api_connection_error_after_retries() -> None:
    api = FakeApi()
    api.script("GET", PATH, httpx.ConnectError("refused"))
    rt = make_client(api, max_retries=2, api_key=None, bearer_token="t")
    with pytest.raises(ApiConnectionError, match="after 3 attempts") as caught:
        rt._request("GET", "/v1/thing")
    assert not isinstance(caught.value, ApiTimeoutError)
    assert caught.value.method == "GET"
    assert len(api.api_requests(PATH)) == 3


def test_max_retries_zero_disables_retries() -> None:
    _, sleeps, result = _send("GET", UNAVAILABLE, max_retries=0)
    assert isinstance(result, ServerError)
    assert sleeps == []


def test_default_and_per_call_timeouts() -> None:
    seen: list[dict[str, float]] = []
    api = FakeApi()

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return json_response(200, {"ok": True})

    api.script("GET", PATH, record)
    rt = make_client(api, api_key=None, bearer_token="t")
    rt._request("GET", "/v1/thing")
    rt._request("GET", "/v1/thing", timeout=5)
    rt._request("GET", "/v1/thing", timeout=httpx.Timeout(2.0, connect=1.0))
    assert seen[0] == {"connect": 10.0, "read": 60.0, "write": 60.0, "pool": 10.0}
    assert seen[1] == {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}
    assert seen[2] == {"connect": 1.0, "read": 2.0, "write": 2.0, "pool": 2.0}
    rt2 = make_client(api, api_key=None, bearer_token="t", timeout=30)
    rt2._request("GET", "/v1/thing")
    assert seen[3]["read"] == 30.0


def test_params_drop_none_and_repeat_list_values() -> None:
    api = FakeApi()
    api.script("GET", PATH, OK)
    rt = make_client(api, api_key=None, bearer_token="t")
    rt._request("GET", "/v1/thing", params={"tags": ["a", "b"], "pending": True, "skip": None})
    (call,) = api.api_requests(PATH)
    assert call.url.query.decode() == "tags=a&tags=b&pending=true"


def test_async_retry_rules_match_sync() -> None:
    api = FakeApi()
    api.script("GET", PATH, UNAVAILABLE, OK)
    api.script("POST", PATH, UNAVAILABLE, OK)
    sleeps: list[float] = []

    async def main() -> None:
        async with make_async_client(api, sleeps=sleeps) as rt:
            response = await rt._request("GET", "/v1/thing")
            assert response.json() == {"ok": True}
            with pytest.raises(ServerError):
                await rt._request("POST", "/v1/thing", json={"x": 1})
            with pytest.raises(NotFoundError):
                await rt._request("GET", "/v1/missing")

    asyncio.run(main())
    assert [r.method for r in api.api_requests(PATH)] == ["GET", "GET", "POST"]
    assert len(sleeps) == 1


def test_async_connection_failure_maps_to_timeout_error() -> None:
    api = FakeApi()
    api.script("GET", PATH, httpx.ReadTimeout("slow"))

    async def main() -> None:
        async with make_async_client(api, max_retries=1) as rt:
            with pytest.raises(ApiTimeoutError, match="after 2 attempts"):
                await rt._request("GET", "/v1/thing")

    asyncio.run(main())
