"""``rt.raw``: the generated client on the same connections, auth, stamps, retries and errors."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import httpx
import pytest
from core_helpers import VALID_CRN, FakeApi, json_response, make_async_client, make_client
from qiskit_runtime_rest import AuthenticationError, NotFoundError, ServerError

DEVICES = {
    "devices": [
        {"name": "ibm_fez", "status": {"name": "online"}, "queue_length": 2, "qubits": 156},
    ]
}


def test_raw_operation_is_authenticated_stamped_and_parsed() -> None:
    from qiskit_runtime_api.api.backends import list_backends

    api = FakeApi()
    api.script("GET", "/api/v1/backends", json_response(200, DEVICES))
    rt = make_client(api)
    response = list_backends.sync_detailed(client=rt.raw)
    assert response.status_code == 200
    assert response.parsed is not None and response.parsed.devices[0].name == "ibm_fez"
    (call,) = api.requests
    assert str(call.url) == "https://example.test/api/v1/backends"
    assert call.headers["Authorization"] == "Bearer token-1"
    assert call.headers["Service-CRN"] == VALID_CRN
    assert call.headers["IBM-API-Version"] == "2026-04-15"
    assert call.headers["User-Agent"].startswith("qiskit-runtime-rest/")


def test_raw_shares_the_facade_connections_and_token() -> None:
    from qiskit_runtime_api.api.backends import list_backends

    api = FakeApi()
    api.script("GET", "/api/v1/backends", json_response(200, DEVICES))
    rt = make_client(api)
    rt.backends.list()
    list_backends.sync(client=rt.raw)
    assert rt.raw is rt.raw
    assert rt.raw.get_httpx_client() is rt._http
    assert len(api.iam_requests) == 1  # one token for both paths


def test_raw_calls_get_typed_errors_before_the_generated_parser() -> None:
    from qiskit_runtime_api.api.backends import get_backend_status, list_backends

    api = FakeApi()
    api.script(
        "GET",
        "/api/v1/backends/nope/status",
        json_response(404, {"trace": "t-1", "errors": [{"code": "1007", "message": "not found"}]}),
    )
    api.script("GET", "/api/v1/backends", httpx.Response(520, text="<html>origin error</html>"))
    rt = make_client(api, max_retries=0)
    with pytest.raises(NotFoundError) as missing:
        get_backend_status.sync(id="nope", client=rt.raw)
    assert (missing.value.code, missing.value.trace) == ("1007", "t-1")
    with pytest.raises(ServerError) as broken:  # not ValueError / JSONDecodeError
        list_backends.sync(client=rt.raw)
    assert broken.value.status_code == 520


def test_raw_calls_get_the_401_refresh_and_the_retries() -> None:
    from qiskit_runtime_api.api.backends import list_backends

    api = FakeApi()
    api.script(
        "GET",
        "/api/v1/backends",
        json_response(401, {"code": 1219, "message": "expired"}),
        json_response(503, {"message": "maintenance"}),
        json_response(200, DEVICES),
    )
    sleeps: list[float] = []
    rt = make_client(api, sleeps=sleeps)
    assert list_backends.sync(client=rt.raw) is not None
    assert [r.headers["Authorization"] for r in api.requests] == [
        "Bearer token-1",
        "Bearer token-2",
        "Bearer token-2",
    ]
    assert len(sleeps) == 1


def test_raw_with_a_bearer_token_raises_on_401() -> None:
    from qiskit_runtime_api.api.instances import get_instance

    api = FakeApi()
    api.script("GET", "/api/v1/instance", json_response(401, {"code": 1219, "message": "bad"}))
    rt = make_client(api, api_key=None, bearer_token="given-token")
    with pytest.raises(AuthenticationError):
        get_instance.sync(client=rt.raw)


def test_raw_never_holds_the_credential() -> None:
    api = FakeApi()
    rt = make_client(api, api_key=None, bearer_token="secret-bearer-value")
    assert "secret-bearer-value" not in repr(rt.raw)


def test_async_raw_operation() -> None:
    from qiskit_runtime_api.api.backends import list_backends

    api = FakeApi()
    api.script("GET", "/api/v1/backends", json_response(200, DEVICES))

    async def main() -> str:
        async with make_async_client(api) as rt:
            parsed = await list_backends.asyncio(client=rt.raw)
            assert rt.raw.get_async_httpx_client() is rt._http
            assert parsed is not None
            return str(parsed.devices[0].name)

    assert asyncio.run(main()) == "ibm_fez"
    (call,) = api.requests
    assert call.headers["Service-CRN"] == VALID_CRN
    assert call.headers["Authorization"] == "Bearer token-1"


def _modules_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout
    return set(out.split())


def test_importing_the_facade_does_not_import_the_generated_client() -> None:
    modules = _modules_after("import qiskit_runtime_rest")
    assert not any(m.startswith("qiskit_runtime_api") for m in modules)
    assert "vcr" not in modules


def test_raw_client_loads_no_generated_models_until_an_operation_is_imported() -> None:
    modules = _modules_after(
        "import qiskit_runtime_rest as q\n"
        f"rt = q.RuntimeClient(bearer_token='t', crn={VALID_CRN!r})\n"
        "rt.raw\n"
    )
    assert "qiskit_runtime_api.client" in modules
    assert not any(
        m.startswith(("qiskit_runtime_api.models", "qiskit_runtime_api.api")) for m in modules
    )


def test_testing_helpers_do_not_import_vcr() -> None:
    assert "vcr" not in _modules_after("import qiskit_runtime_rest.testing")


def test_raw_estimator_job_is_sent_with_every_option() -> None:
    # The issue this guards: JobRunParams.from_dict took an estimator body for a sampler one and
    # sent "options": {} without a word.
    import json

    from qiskit_runtime_api.api.jobs import create_job
    from qiskit_runtime_api.models import EstimatorJobRunParams

    body = {
        "program_id": "estimator",
        "backend": "ibm_fez",
        "params": {
            "pubs": [["OPENQASM 3.0; qubit[1] q;", {"Z": 1}, None, 0.02]],
            "precision": 0.01,
            "resilience_level": 2,
            "options": {
                "seed_estimator": 3,
                "default_precision": 0.015625,
                "resilience": {"zne_mitigation": True, "zne": {"noise_factors": [1, 3, 5]}},
            },
            "version": 2,
        },
    }
    api = FakeApi()
    api.script("POST", "/api/v1/jobs", json_response(200, {"id": "j-1", "backend": "ibm_fez"}))
    rt = make_client(api)
    created = create_job.sync(client=rt.raw, body=EstimatorJobRunParams.from_dict(body))
    assert created is not None and created.id == "j-1"
    (call,) = api.api_requests("/v1/jobs")
    assert json.loads(call.content) == body


def test_raw_backends_list_under_the_pre_2025_version_is_the_names() -> None:
    from qiskit_runtime_api.api.backends import list_backends
    from qiskit_runtime_api.models import BackendNamesResponse, BackendsResponse

    api = FakeApi()
    api.script("GET", "/api/v1/backends", json_response(200, {"devices": ["ibm_a", "ibm_b"]}))
    rt = make_client(api)
    old = list_backends.sync(client=rt.raw, ibm_api_version="2024-01-01")
    assert isinstance(old, BackendNamesResponse) and old.devices == ["ibm_a", "ibm_b"]
    assert api.requests[-1].headers["IBM-API-Version"] == "2024-01-01"
    api.script("GET", "/api/v1/backends", json_response(200, DEVICES))
    assert isinstance(list_backends.sync(client=rt.raw), BackendsResponse)
