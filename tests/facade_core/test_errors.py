from __future__ import annotations

import asyncio

import httpx
import pytest
from core_helpers import FakeApi, json_response, make_async_client, make_client
from qiskit_runtime_rest import (
    ApiError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    QiskitRuntimeError,
    RateLimitError,
    ServerError,
)

# Each test runs with the sync client and with the async one (tests/flavours.py).
pytestmark = pytest.mark.usefixtures("flavour")

PATH = "/api/v1/jobs/abc"


def _fail(reply: httpx.Response, method: str = "GET") -> ApiError:
    api = FakeApi()
    api.script(method, PATH, reply)
    rt = make_client(api, bearer_token="t", api_key=None, max_retries=0)
    with pytest.raises(ApiError) as caught:
        rt._request(method, "/v1/jobs/abc")
    return caught.value


def test_error_container_shape() -> None:
    body = {
        "trace": "b1a8c7e2-trace",
        "errors": [
            {
                "code": "not_found",
                "message": "Job not found",
                "more_info": "https://quantum.cloud.ibm.com/docs/errors",
            }
        ],
    }
    error = _fail(json_response(404, body))
    assert type(error) is NotFoundError
    assert (error.status_code, error.code, error.message) == (404, "not_found", "Job not found")
    assert error.trace == "b1a8c7e2-trace"
    assert error.more_info == "https://quantum.cloud.ibm.com/docs/errors"
    assert '"b1a8c7e2-trace"' in error.body
    assert "GET https://example.test/api/v1/jobs/abc" in str(error)
    assert "b1a8c7e2-trace" in str(error)


def test_generic_error_dto_shape_with_numeric_code_and_solution() -> None:
    body = {
        "errors": [
            {
                "code": 1006,
                "message": "Invalid parameter",
                "solution": "Check the sort value",
                "more_info": "https://quantum.cloud.ibm.com/docs/errors#1006",
            }
        ],
        "trace": "7d0c2c6e-uuid",
    }
    error = _fail(json_response(400, body))
    assert type(error) is ApiError
    assert error.code == "1006"
    assert error.solution == "Check the sort value"
    assert error.trace == "7d0c2c6e-uuid"
    assert "solution: Check the sort value" in str(error)


def test_flat_legacy_shape() -> None:
    error = _fail(json_response(401, {"code": 1219, "message": "Error authenticating user."}))
    assert type(error) is AuthenticationError
    assert error.code == "1219"
    assert error.message == "Error authenticating user."


def test_nested_error_object_shape() -> None:
    error = _fail(json_response(403, {"error": {"code": "forbidden", "message": "Not allowed"}}))
    assert type(error) is PermissionDeniedError
    assert (error.code, error.message) == ("forbidden", "Not allowed")


def test_non_json_cloudflare_page_maps_cleanly() -> None:
    page = "<html><head><title>520: Web server is returning an unknown error</title></head></html>"
    error = _fail(httpx.Response(520, text=page, headers={"content-type": "text/html"}), "POST")
    assert type(error) is ServerError
    assert error.status_code == 520
    assert "520: Web server is returning an unknown error" in error.message
    assert error.body == page


def test_odd_status_without_body() -> None:
    error = _fail(httpx.Response(499))
    assert type(error) is ApiError
    assert error.status_code == 499
    assert error.message
    empty_500 = _fail(httpx.Response(500))
    assert type(empty_500) is ServerError
    assert empty_500.message == "Internal Server Error"


def test_truncated_json_does_not_escape_as_decode_error() -> None:
    error = _fail(
        httpx.Response(
            502, text='{"errors": [{"code": "50', headers={"content-type": "application/json"}
        )
    )
    assert type(error) is ServerError
    assert isinstance(error, QiskitRuntimeError)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (json_response(409, {"errors": [{"code": "409", "message": "final"}]}), ConflictError),
        (json_response(429, {"message": "slow down"}), RateLimitError),
        (
            json_response(400, {"errors": [{"code": "1202", "message": "5 per min"}]}),
            RateLimitError,
        ),
        (json_response(503, {"message": "maintenance"}), ServerError),
    ],
)
def test_status_and_code_choose_the_class(reply: httpx.Response, expected: type) -> None:
    assert type(_fail(reply)) is expected


def test_trace_falls_back_to_the_uber_trace_id_header() -> None:
    error = _fail(json_response(404, {"message": "gone"}, **{"uber-trace-id": "abc:def:0:1"}))
    assert error.trace == "abc:def:0:1"


def test_async_client_maps_errors_the_same_way() -> None:
    api = FakeApi()
    api.script("GET", PATH, httpx.Response(520, text="<html>oops</html>"))

    async def main() -> ApiError:
        async with make_async_client(api, bearer_token="t", api_key=None, max_retries=0) as rt:
            with pytest.raises(ApiError) as caught:
                await rt._request("GET", "/v1/jobs/abc")
            return caught.value

    error = asyncio.run(main())
    assert type(error) is ServerError
    assert error.body == "<html>oops</html>"
