"""IAM tokens, and the bearer + Service-CRN check on every route but /v1/versions."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import pytest
from emulator_helpers import APIKEY_GRANT, Api, fetch_token
from qiskit_runtime_emulator import Emulator, Faults


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def test_token_response_has_iam_fields_and_a_jwt(emulator: Emulator) -> None:
    response = fetch_token(emulator)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    claims = _claims(body["access_token"])
    assert claims["exp"] - claims["iat"] == 3600
    assert body["expiration"] == claims["exp"]
    assert abs(claims["iat"] - time.time()) < 60
    # The token names the user, never the key.
    assert (
        emulator.api_key
        not in base64.urlsafe_b64decode(body["access_token"].split(".")[1] + "==").decode()
    )


def test_ibm_cloud_sdk_token_manager_accepts_the_token(emulator: Emulator) -> None:
    iam = pytest.importorskip("ibm_cloud_sdk_core")
    manager = iam.IAMTokenManager(emulator.api_key, url=emulator.iam_url)
    token = manager.get_token()
    assert token.count(".") == 2
    assert manager.expire_time - manager.refresh_time == pytest.approx(0.2 * 3600, abs=1)


def test_unknown_api_key_gets_iams_400(emulator: Emulator) -> None:
    response = fetch_token(emulator, api_key="not-a-key")
    assert response.status_code == 400
    body = response.json()
    assert body["errorCode"] == "BXNIM0415E"
    assert body["errorMessage"] == "Provided API key could not be found."
    assert body["context"]["requestType"] == "incoming.Identity_Token"
    assert "not-a-key" not in response.text


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"grant_type": "password", "apikey": "k"}, "BXNIM0103E"),
        ({"grant_type": APIKEY_GRANT}, "BXNIM0109E"),
    ],
)
def test_malformed_token_requests(emulator: Emulator, form: dict[str, str], code: str) -> None:
    response = httpx.post(f"{emulator.iam_url}/identity/token", data=form)
    assert response.status_code == 400
    assert response.json()["errorCode"] == code


def test_token_lifetime_and_several_keys_are_configurable() -> None:
    with Emulator(api_keys=["key-one", "key-two"], token_ttl=120) as emu:
        first = fetch_token(emu, "key-one").json()
        second = fetch_token(emu, "key-two").json()
        assert first["expires_in"] == 120
        assert _claims(first["access_token"])["sub"] != _claims(second["access_token"])["sub"]
        assert fetch_token(emu, "key-three").status_code == 400


def test_versions_need_no_credentials(emulator: Emulator) -> None:
    response = httpx.get(f"{emulator.base_url}/v1/versions")
    assert response.status_code == 200
    versions = response.json()["versions"]
    assert {"version": "2026-03-15", "status": "live"} in versions
    assert versions[-1] == {"version": "2026-04-15", "status": "live"}
    assert all(v["status"] in ("live", "deprecated") for v in versions)


def test_the_listed_versions_are_a_knob_and_decide_which_shapes_apply() -> None:
    listed = (
        ("2025-01-01", None, "deprecated"),
        ("2026-04-15", "2027-04-15", "deprecated"),
        ("2026-09-01", None, "live"),
    )
    with Emulator(api_versions=listed) as emu, Api(emu, version="2024-06-01") as old:
        versions = httpx.get(f"{emu.base_url}/v1/versions").json()["versions"]
        assert versions == [
            {"version": "2025-01-01", "status": "deprecated"},
            {"version": "2026-04-15", "sunset_date": "2027-04-15", "status": "deprecated"},
            {"version": "2026-09-01", "status": "live"},
        ]
        # Older than the oldest listed version: refused; newer dates resolve to a listed one.
        assert old.get("/backends").status_code == 400
        old.version = "2026-12-31"
        assert isinstance(old.get("/backends").json()["devices"][0], dict)
        old.version = None  # no header: the oldest listed version's shapes
        assert isinstance(old.get("/backends").json()["devices"][0], dict)


def test_missing_bearer_is_401_with_an_error_container(emulator: Emulator) -> None:
    response = httpx.get(f"{emulator.base_url}/v1/jobs", headers={"Service-CRN": emulator.crn})
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"trace", "errors"}
    assert body["errors"][0]["code"] == "1219"


def test_forged_token_is_401(emulator: Emulator, api: Api) -> None:
    header, payload, _ = api.token.split(".")
    forged = f"{header}.{payload}.c2lnbmF0dXJl"
    response = httpx.get(
        f"{emulator.base_url}/v1/jobs",
        headers={"Authorization": f"Bearer {forged}", "Service-CRN": emulator.crn},
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "1201"


def test_crn_header_is_required_and_must_match(emulator: Emulator, api: Api) -> None:
    bearer = {"Authorization": f"Bearer {api.token}"}
    assert httpx.get(f"{emulator.base_url}/v1/backends", headers=bearer).status_code == 401
    other = emulator.crn.replace(emulator.crn.split(":")[7], "00000000-0000-0000-0000-000000000000")
    response = httpx.get(
        f"{emulator.base_url}/v1/backends", headers={**bearer, "Service-CRN": other}
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "1200"


def test_generic_error_routes_answer_with_numeric_codes(emulator: Emulator) -> None:
    for path in ("/v1/workloads", "/v1/analytics/usage", "/v1/instances/usage"):
        response = httpx.get(f"{emulator.base_url}{path}")
        assert response.status_code == 401
        error = response.json()["errors"][0]
        assert error["code"] == 1219
        assert error["solution"]


def test_apikey_authorization_scheme_is_accepted(emulator: Emulator) -> None:
    headers = {"Authorization": f"apikey {emulator.api_key}", "Service-CRN": emulator.crn}
    assert httpx.get(f"{emulator.base_url}/v1/instance", headers=headers).status_code == 200


def test_malformed_api_version_is_400(api: Api) -> None:
    assert api.get("/backends", headers={"IBM-API-Version": "March 2026"}).status_code == 400
    assert api.get("/backends", headers={"IBM-API-Version": "2020-01-01"}).status_code == 400


def test_every_prefix_serves_the_api(emulator: Emulator, api: Api) -> None:
    for prefix in ("/api/v1", "/experimental/v1", "/experimental"):
        response = httpx.get(f"{emulator.url}{prefix}/instance", headers=api.headers())
        assert response.status_code == 200, prefix


def test_revoked_tokens_are_rejected_until_refreshed() -> None:
    with Emulator() as emu, Api(emu) as api:
        assert api.get("/instance").status_code == 200
        emu.revoke_tokens()
        assert api.get("/instance").status_code == 401
        api._token = None  # a client refreshes after a 401
        assert api.get("/instance").status_code == 200


def test_early_revocation_fault_expires_tokens_before_exp() -> None:
    with Emulator(faults=Faults(revoke_tokens_after=0.2)) as emu, Api(emu) as api:
        assert api.get("/instance").status_code == 200
        time.sleep(0.3)
        assert api.get("/instance").status_code == 401
