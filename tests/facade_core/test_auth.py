from __future__ import annotations

import asyncio
import logging
import threading
import time
from urllib.parse import parse_qs

import httpx
import pytest
from core_helpers import (
    API_KEY,
    VALID_CRN,
    FakeApi,
    FakeClock,
    json_response,
    make_async_client,
    make_client,
)
from qiskit_runtime_rest import AuthenticationError, RuntimeClient

# Each test runs with the sync client and with the async one (tests/flavours.py).
pytestmark = pytest.mark.usefixtures("flavour")

DEVICES = {"devices": [{"name": "ibm_fez", "status": {"name": "online"}, "qubits": 156}]}


def _bearer(request: httpx.Request) -> str:
    return request.headers["Authorization"].removeprefix("Bearer ")


def test_api_key_is_exchanged_at_iam_and_never_sent_to_the_api() -> None:
    api = FakeApi()
    api.script("GET", "/api/v1/backends", json_response(200, DEVICES))
    rt = make_client(api)
    assert [b.name for b in rt.backends.list()] == ["ibm_fez"]

    (iam,) = api.iam_requests
    assert str(iam.url) == "https://iam.cloud.ibm.com/identity/token"
    assert iam.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(iam.content.decode()) == {
        "grant_type": ["urn:ibm:params:oauth:grant-type:apikey"],
        "apikey": [API_KEY],
    }
    (call,) = api.requests
    assert call.headers["Authorization"] == "Bearer token-1"
    assert call.headers["Service-CRN"] == VALID_CRN
    assert call.headers["IBM-API-Version"] == "2026-04-15"
    assert call.headers["User-Agent"].startswith("qiskit-runtime-rest/")
    assert API_KEY not in str(call.headers) and API_KEY not in call.url.query.decode()


def test_token_is_reused_then_refreshed_after_80_percent_of_its_life() -> None:
    api = FakeApi(token_lifetime=3600)
    api.script("GET", "/api/v1/backends", json_response(200, DEVICES))
    clock = FakeClock()
    rt = make_client(api, _clock=clock)

    rt.backends.list()
    clock.advance(2879)  # just before 80 % of 3600 s
    rt.backends.list()
    assert len(api.iam_requests) == 1
    clock.advance(2)  # just past it
    rt.backends.list()
    assert len(api.iam_requests) == 2
    assert [_bearer(r) for r in api.requests] == ["token-1", "token-1", "token-2"]


def test_iam_absolute_expiration_is_ignored_so_replays_never_look_expired() -> None:
    # FakeApi's IAM answer has "expiration": 1473188353 (2016) like the documented sample.
    api = FakeApi()
    api.script("GET", "/api/v1/backends", json_response(200, DEVICES))
    rt = make_client(api, _clock=FakeClock())
    rt.backends.list()
    rt.backends.list()
    assert len(api.iam_requests) == 1


def test_failed_early_refresh_keeps_the_valid_token_but_expiry_is_never_crossed() -> None:
    api = FakeApi(token_lifetime=3600)
    api.script("GET", "/api/v1/backends", json_response(200, DEVICES))
    clock = FakeClock()
    rt = make_client(api, _clock=clock)
    rt.backends.list()

    clock.advance(3000)  # refresh due, token still valid (expiry counted 60 s early: 3540)
    api.iam_replies.append(json_response(503, {"errorMessage": "IAM is down"}))
    rt.backends.list()
    assert len(api.iam_requests) == 2
    assert _bearer(api.requests[-1]) == "token-1"

    clock.advance(10)  # within the back-off after a failed refresh: no new IAM call
    rt.backends.list()
    assert len(api.iam_requests) == 2

    clock.advance(540)  # past expiry: a failure now is fatal, the stale token is never sent
    api.iam_replies.append(json_response(503, {"errorMessage": "IAM is down"}))
    sent = len(api.requests)
    with pytest.raises(AuthenticationError, match="IAM is down"):
        rt.backends.list()
    assert len(api.requests) == sent


def test_short_lived_tokens_are_refreshed_before_they_expire() -> None:
    api = FakeApi(token_lifetime=100)
    api.script("GET", "/api/v1/backends", json_response(200, DEVICES))
    clock = FakeClock()
    rt = make_client(api, _clock=clock)
    rt.backends.list()
    clock.advance(81)
    rt.backends.list()
    assert [_bearer(r) for r in api.requests] == ["token-1", "token-2"]


@pytest.mark.sync_only
def test_fifty_threads_cause_exactly_one_iam_request() -> None:
    api = FakeApi()
    api.script("GET", "/api/v1/backends", json_response(200, DEVICES))
    release = threading.Event()

    def slow_iam(request: httpx.Request) -> httpx.Response:
        release.wait(2)  # hold the first exchange open while the other threads pile up
        api.iam_replies.clear()
        return json_response(200, {"access_token": "only-token", "expires_in": 3600})

    api.iam_replies.append(slow_iam)
    rt = make_client(api)
    start = threading.Barrier(50)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            rt.backends.list()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    release.set()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(api.iam_requests) == 1
    assert len(api.requests) == 50
    assert {_bearer(r) for r in api.requests} == {"only-token"}


@pytest.mark.sync_only
def test_fifty_threads_at_refresh_time_cause_exactly_one_iam_request() -> None:
    api = FakeApi()
    api.script("GET", "/api/v1/backends", json_response(200, DEVICES))
    clock = FakeClock()
    rt = make_client(api, _clock=clock)
    rt.backends.list()
    clock.advance(3000)
    start = threading.Barrier(50)

    def worker() -> None:
        start.wait()
        rt.backends.list()

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(api.iam_requests) == 2
    assert {_bearer(r) for r in api.requests[1:]} <= {"token-1", "token-2"}


def test_fifty_tasks_cause_exactly_one_iam_request() -> None:
    api = FakeApi()
    api.script("GET", "/api/v1/backends", json_response(200, DEVICES))

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host.startswith("iam."):
            for _ in range(5):  # yield to the other tasks while "IAM" is thinking
                await asyncio.sleep(0)
        return api(request)

    async def main() -> None:
        from qiskit_runtime_rest import AsyncRuntimeClient

        async with AsyncRuntimeClient(
            api_key=API_KEY,
            crn=VALID_CRN,
            base_url="https://example.test/api",
            http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        ) as rt:
            results = await asyncio.gather(*(rt.backends.list() for _ in range(50)))
        assert all(r[0].name == "ibm_fez" for r in results)

    asyncio.run(main())
    assert len(api.iam_requests) == 1
    assert len(api.requests) == 50


def test_a_401_causes_exactly_one_refresh_and_retry() -> None:
    api = FakeApi()
    api.script(
        "GET",
        "/api/v1/backends",
        json_response(401, {"errors": [{"code": "1219", "message": "expired"}]}),
        json_response(200, DEVICES),
    )
    rt = make_client(api)
    assert rt.backends.list()[0].name == "ibm_fez"
    assert len(api.iam_requests) == 2
    assert [_bearer(r) for r in api.requests] == ["token-1", "token-2"]


def test_a_second_401_raises_authentication_error_without_more_attempts() -> None:
    api = FakeApi()
    api.script("GET", "/api/v1/backends", json_response(401, {"code": 1219, "message": "nope"}))
    rt = make_client(api)
    with pytest.raises(AuthenticationError) as caught:
        rt.backends.list()
    assert caught.value.status_code == 401
    assert caught.value.code == "1219"
    assert len(api.requests) == 2
    assert len(api.iam_requests) == 2


@pytest.mark.sync_only
def test_concurrent_401s_for_the_same_token_refresh_once() -> None:
    api = FakeApi()

    def by_token(request: httpx.Request) -> httpx.Response:
        if _bearer(request) == "token-1":
            return json_response(401, {"code": 1219, "message": "expired"})
        return json_response(200, DEVICES)

    api.script("GET", "/api/v1/backends", by_token)
    rt = make_client(api)
    rt.backends.list()  # token-1 rejected, token-2 works
    start = threading.Barrier(10)

    def worker() -> None:
        start.wait()
        rt.backends.list()

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(api.iam_requests) == 2


def test_async_401_is_retried_once() -> None:
    api = FakeApi()
    api.script(
        "GET",
        "/api/v1/backends",
        json_response(401, {"code": 1219, "message": "expired"}),
        json_response(200, DEVICES),
    )

    async def main() -> None:
        async with make_async_client(api) as rt:
            await rt.backends.list()

    asyncio.run(main())
    assert [_bearer(r) for r in api.requests] == ["token-1", "token-2"]


def test_caller_managed_bearer_token_is_never_refreshed() -> None:
    api = FakeApi()
    api.script("GET", "/api/v1/backends", json_response(401, {"code": 1219, "message": "expired"}))
    rt = make_client(api, api_key=None, bearer_token="my-own-token")
    with pytest.raises(AuthenticationError):
        rt.backends.list()
    assert api.iam_requests == []
    assert [_bearer(r) for r in api.requests] == ["my-own-token"]


def test_bad_api_key_raises_iam_own_message() -> None:
    api = FakeApi()
    api.iam_replies.append(
        json_response(
            400,
            {
                "errorCode": "BXNIM0415E",
                "errorMessage": "Provided API key could not be found.",
                "context": {"requestId": "req-123"},
            },
        )
    )
    rt = make_client(api)
    with pytest.raises(AuthenticationError) as caught:
        rt.backends.list()
    error = caught.value
    assert "Provided API key could not be found." in str(error)
    assert error.code == "BXNIM0415E"
    assert error.trace == "req-123"
    assert error.status_code == 400
    assert api.requests == []  # never falls back to sending the key to the API


def test_iam_5xx_and_network_failures_raise_authentication_error() -> None:
    api = FakeApi()
    api.iam_replies.append(httpx.Response(502, text="<html>Bad gateway</html>"))
    rt = make_client(api)
    with pytest.raises(AuthenticationError, match="Bad gateway"):
        rt.backends.list()

    api.iam_replies.extend([httpx.ConnectError("refused")] * 4)
    with pytest.raises(AuthenticationError, match="could not reach IBM Cloud IAM") as caught:
        rt.backends.list()
    assert caught.value.status_code == 0
    assert api.requests == []


def test_iam_answer_without_token_is_an_authentication_error() -> None:
    api = FakeApi()
    api.iam_replies.append(json_response(200, {"token_type": "Bearer"}))
    with pytest.raises(AuthenticationError, match="without an access_token"):
        make_client(api).backends.list()


def test_versions_needs_no_token_and_no_crn() -> None:
    api = FakeApi()
    api.script("GET", "/api/v1/versions", json_response(200, {"versions": []}))
    rt = make_client(api)
    assert rt.versions() == []
    (call,) = api.requests
    assert "Authorization" not in call.headers
    assert "Service-CRN" not in call.headers
    assert api.iam_requests == []


def test_per_call_headers_override_the_pinned_version() -> None:
    api = FakeApi()
    api.script("GET", "/api/v1/backends", json_response(200, DEVICES))
    rt = make_client(api, api_version="2025-05-01")
    rt._request("GET", "/v1/backends")
    rt._request("GET", "/v1/backends", headers={"IBM-API-Version": "2026-04-15"})
    assert [r.headers["IBM-API-Version"] for r in api.requests] == ["2025-05-01", "2026-04-15"]


def test_no_secret_in_repr_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    api = FakeApi()
    api.iam_replies.append(
        json_response(400, {"errorCode": "BXNIM0415E", "errorMessage": f"bad key {API_KEY}"})
    )
    api.script(
        "GET",
        "/api/v1/backends",
        json_response(401, {"code": 1219, "message": "expired"}),
        json_response(500, {"errors": [{"code": "5000", "message": "boom"}]}),
    )
    caplog.set_level(logging.DEBUG)
    rt = make_client(api, max_retries=0)
    texts = [repr(rt), str(rt), repr(rt._tokens), repr(rt._http.auth), repr(rt._settings)]
    with pytest.raises(AuthenticationError) as first:
        rt.backends.list()
    texts += [str(first.value), repr(first.value), first.value.body]
    with pytest.raises(Exception) as second:
        rt.backends.list()
    texts += [str(second.value), repr(second.value)]
    texts.append(caplog.text)
    for text in texts:
        assert API_KEY not in text
        assert "token-1" not in text and "token-2" not in text


def test_exactly_one_credential_is_required() -> None:
    from qiskit_runtime_rest import InvalidInputError

    with pytest.raises(InvalidInputError, match="exactly one"):
        RuntimeClient(crn=VALID_CRN)
    with pytest.raises(InvalidInputError, match="exactly one"):
        RuntimeClient(api_key="k", bearer_token="t", crn=VALID_CRN)
    with pytest.raises(InvalidInputError, match="crn"):
        RuntimeClient(api_key="k")
