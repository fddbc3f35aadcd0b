"""Replays of hand-written cassettes (record mode "none", network blocked), and the secret scan."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from core_helpers import VALID_CRN, FakeApi, json_response
from qiskit_runtime_rest import AsyncRuntimeClient, RuntimeClient
from qiskit_runtime_rest.testing import find_secrets, scrub_response, vcr_config

ROOT = Path(__file__).resolve().parents[2]
CASSETTES = sorted(
    p for p in (ROOT / "cassettes").rglob("*") if p.suffix in {".yaml", ".yml", ".json"}
)


def _check_replay(versions: list[Any], backends: list[Any]) -> None:
    assert versions[-1].version == "2026-04-15" and versions[-1].status == "live"
    assert sum(v.is_deprecated for v in versions) == 5
    assert [b.name for b in backends] == ["ibm_pittsburgh", "ibm_torino"]
    assert backends[0].num_qubits == 156 and backends[0].status == "online"
    assert backends[1].status_reason == "calibrating"


@pytest.mark.vcr
@pytest.mark.default_cassette("iam_versions_backends.yaml")
def test_iam_exchange_versions_and_backends_replay(vcr: Any) -> None:
    with RuntimeClient(api_key="replayed-key", crn=VALID_CRN) as rt:
        versions = rt.versions()
        backends = rt.backends.list()
    _check_replay(versions, backends)
    assert vcr.all_played and vcr.play_count == 3
    iam, api = vcr.requests[1], vcr.requests[2]
    assert iam.uri == "https://iam.cloud.ibm.com/identity/token"
    assert api.uri == "https://quantum.cloud.ibm.com/api/v1/backends"


@pytest.mark.vcr
@pytest.mark.default_cassette("iam_versions_backends.yaml")
def test_async_client_replays_the_same_cassette(vcr: Any) -> None:
    async def main() -> tuple[list[Any], list[Any]]:
        async with AsyncRuntimeClient(api_key="replayed-key", crn=VALID_CRN) as rt:
            return await rt.versions(), await rt.backends.list()

    _check_replay(*asyncio.run(main()))
    assert vcr.all_played


def test_there_are_cassettes_to_scan() -> None:
    assert any(p.parent.name == "core" for p in CASSETTES)


@pytest.mark.parametrize("path", CASSETTES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_cassette_holds_a_secret(path: Path) -> None:
    assert find_secrets(path.read_text(encoding="utf-8")) == []


JWT = "eyJhbGciOiJSUzI1NiJ9.eyJpYW1faWQiOiJJQk1pZC0xMjMifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
REAL_KEY = "Xy7_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_ab"


@pytest.mark.parametrize(
    "leak",
    [
        JWT,
        f"Authorization:\n      - Bearer {REAL_KEY}",
        f"      Authorization: Bearer {REAL_KEY}",
        f"grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey={REAL_KEY}",
        f'{{"access_token":"{REAL_KEY}","expires_in":3600}}',
        f"refresh_token: {REAL_KEY}",
        f"Authorization: apikey {REAL_KEY}",
    ],
)
def test_the_scanner_finds_planted_secrets(leak: str) -> None:
    findings = find_secrets(f"interactions:\n- request:\n    {leak}\n")
    assert findings
    assert all(REAL_KEY not in f and JWT not in f for f in findings)


def test_the_scanner_accepts_placeholders() -> None:
    clean = (
        "Authorization:\n      - REDACTED\n"
        "body: grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=REDACTED\n"
        '{"access_token":"REDACTED","refresh_token":null,"token_type":"Bearer"}\n'
        "Authorization: Bearer REDACTED\n"
    )
    assert find_secrets(clean) == []


def test_recording_through_the_scrubbers_writes_no_secret(tmp_path: Path) -> None:
    """Record (against a mock, never the network) with the shared config, then scan the file."""
    import vcr

    api = FakeApi()
    api.iam_replies.append(
        json_response(
            200,
            {
                "access_token": JWT,
                "refresh_token": REAL_KEY,
                "token_type": "Bearer",
                "expires_in": 3600,
            },
        )
    )
    api.script("GET", "/api/v1/backends", json_response(200, {"devices": [{"name": "ibm_x"}]}))
    config = {**vcr_config(), "record_mode": "all"}
    config.pop("allowed_hosts")  # a pytest-recording option, not a vcrpy one
    recorder = vcr.VCR(cassette_library_dir=str(tmp_path), **config)
    with (
        recorder.use_cassette("recorded.yaml"),
        RuntimeClient(
            api_key=REAL_KEY,
            crn=VALID_CRN,
            base_url="https://example.test/api",
            http_client=httpx.Client(transport=httpx.MockTransport(api)),
        ) as rt,
    ):
        rt.backends.list()
    assert api.requests[0].headers["Authorization"] == f"Bearer {JWT}"  # the real one was sent
    text = (tmp_path / "recorded.yaml").read_text()
    assert find_secrets(text) == []
    assert REAL_KEY not in text and JWT not in text and VALID_CRN not in text
    assert text.count("REDACTED") >= 5


def test_scrubbing_rewrites_only_bodies_that_hold_a_secret() -> None:
    def recorded(body: bytes) -> dict[str, Any]:
        headers = {"Content-Type": ["application/json"]}
        return scrub_response({"headers": headers, "body": {"string": body}})

    untouched = b'{"devices":  [ {"name": "ibm_x"} ]}'  # odd spacing: kept byte for byte
    assert recorded(untouched)["body"]["string"] == untouched
    scrubbed = recorded(b'{"access_token": "abc", "expires_in": 3600}')["body"]["string"]
    assert scrubbed == b'{"access_token": "REDACTED", "expires_in": 3600}'


def test_network_beyond_loopback_is_blocked_in_these_tests() -> None:
    import socket

    with pytest.raises(RuntimeError, match="Network is disabled"):
        socket.create_connection(("192.0.2.1", 443), timeout=0.5)  # TEST-NET-1, never routed
