"""A small authenticated HTTP client for the emulator's tests (plain httpx, no facade)."""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any

import httpx
from qiskit_runtime_emulator import Emulator
from qiskit_runtime_emulator._constants import NEWEST_API_VERSION

APIKEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"
# The version the facade pins (the emulator's newest); tests that care about others say so.
API_VERSION = NEWEST_API_VERSION
# The seed notebook's transpiled circuit: physical qubits, qubit 1 measured but idle.
SEED_QASM = (
    'OPENQASM 3.0; include "stdgates.inc"; bit[2] c; x $0; c[0] = measure $0; c[1] = measure $1;'
)
BELL_QASM = (
    'OPENQASM 3.0; include "stdgates.inc"; bit[2] meas; rz(pi/2) $0; sx $0; rz(pi/2) $0; '
    "rz(pi/2) $1; sx $1; rz(pi/2) $1; cz $0, $1; rz(pi/2) $1; sx $1; rz(pi/2) $1; "
    "meas[0] = measure $0; meas[1] = measure $1;"
)
TERMINAL = ("Completed", "Failed", "Cancelled")


def fetch_token(emulator: Emulator, api_key: str | None = None) -> httpx.Response:
    return httpx.post(
        f"{emulator.iam_url}/identity/token",
        data={"grant_type": APIKEY_GRANT, "apikey": api_key or emulator.api_key},
        headers={"Accept": "application/json"},
    )


class Api:
    """Bearer token + Service-CRN + IBM-API-Version on every call, like a real client."""

    def __init__(self, emulator: Emulator, *, version: str | None = API_VERSION) -> None:
        self.emulator = emulator
        self.version = version
        self.client = httpx.Client(base_url=f"{emulator.base_url}/v1", timeout=30)
        self._token: str | None = None

    def __enter__(self) -> Api:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.client.close()

    @property
    def token(self) -> str:
        if self._token is None:
            response = fetch_token(self.emulator)
            response.raise_for_status()
            self._token = str(response.json()["access_token"])
        return self._token

    def headers(self, version: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}", "Service-CRN": self.emulator.crn}
        chosen = version or self.version
        if chosen:
            headers["IBM-API-Version"] = chosen
        return headers

    def request(
        self, method: str, path: str, *, version: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {**self.headers(version), **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def submit(
        self,
        program_id: str,
        pubs: list[Any],
        *,
        backend: str = "ibm_fez",
        params: dict[str, Any] | None = None,
        **envelope: Any,
    ) -> str:
        body = {
            "program_id": program_id,
            "backend": backend,
            "params": {"pubs": pubs, "version": 2, **(params or {})},
            **envelope,
        }
        response = self.post("/jobs", json=body)
        assert response.status_code == 200, response.text
        return str(response.json()["id"])

    def wait(self, job_id: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job: dict[str, Any] = self.get(f"/jobs/{job_id}").json()
            if job["state"]["status"] in TERMINAL:
                return job
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job_id} still {job['state']['status']}")
            time.sleep(0.02)

    def run(self, program_id: str, pubs: list[Any], **kwargs: Any) -> tuple[dict[str, Any], Any]:
        """Submit, wait, and return (job document, decoded results or None)."""
        job = self.wait(self.submit(program_id, pubs, **kwargs))
        results = self.get(f"/jobs/{job['id']}/results")
        return job, results.json() if results.status_code == 200 else None
