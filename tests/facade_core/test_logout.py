"""``rt.logout()``: ``POST /v1/logout``, then every cached token dropped (both flavours)."""

from __future__ import annotations

import logging

import pytest
from core_helpers import FakeApi, json_response, make_client
from qiskit_runtime_rest import ServerError

BACKENDS = {"devices": []}


def test_logout_calls_the_route_then_the_next_call_fetches_a_new_token(flavour: str) -> None:
    api = FakeApi()
    api.script("GET", "/api/v1/backends", json_response(200, BACKENDS))
    api.script("POST", "/api/v1/logout", json_response(204, None))
    rt = make_client(api)
    rt.backends.list()
    assert rt.logout() is True
    rt.backends.list()

    sent = [(r.method, r.url.path, r.headers["Authorization"]) for r in api.requests]
    assert sent == [
        ("GET", "/api/v1/backends", "Bearer token-1"),
        ("POST", "/api/v1/logout", "Bearer token-1"),
        ("GET", "/api/v1/backends", "Bearer token-2"),
    ]
    assert len(api.iam_requests) == 2


def test_views_share_the_dropped_token(flavour: str) -> None:
    api = FakeApi()
    api.script("GET", "/api/v1/backends", json_response(200, BACKENDS))
    api.script("POST", "/api/v1/logout", json_response(204, None))
    rt = make_client(api)
    view = rt.with_options(timeout=5)
    view.backends.list()
    rt.logout()
    view.backends.list()
    assert api.requests[-1].headers["Authorization"] == "Bearer token-2"


def test_a_service_without_the_route_still_drops_the_token_and_says_so(
    flavour: str, caplog: pytest.LogCaptureFixture
) -> None:
    api = FakeApi()  # unscripted routes answer 404
    api.script("GET", "/api/v1/backends", json_response(200, BACKENDS))
    rt = make_client(api)
    rt.backends.list()
    with caplog.at_level(logging.WARNING, logger="qiskit_runtime_rest"):
        assert rt.logout() is False
    assert "has no POST /v1/logout (404)" in caplog.text
    rt.backends.list()
    assert api.requests[-1].headers["Authorization"] == "Bearer token-2"


def test_any_other_failure_raises_but_drops_the_token(flavour: str) -> None:
    api = FakeApi()
    api.script("GET", "/api/v1/backends", json_response(200, BACKENDS))
    api.script("POST", "/api/v1/logout", json_response(500, {"errors": [{"message": "down"}]}))
    rt = make_client(api, max_retries=0)
    rt.backends.list()
    with pytest.raises(ServerError):
        rt.logout()
    rt.backends.list()
    assert api.requests[-1].headers["Authorization"] == "Bearer token-2"


def test_a_caller_managed_token_is_kept(flavour: str) -> None:
    api = FakeApi()
    api.script("POST", "/api/v1/logout", json_response(204, None))
    api.script("GET", "/api/v1/backends", json_response(200, BACKENDS))
    rt = make_client(api, api_key=None, bearer_token="mine")
    assert rt.logout() is True
    rt.backends.list()
    assert api.requests[-1].headers["Authorization"] == "Bearer mine"
    assert api.iam_requests == []
