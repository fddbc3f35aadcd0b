"""Every emulator response, on every route of the pinned spec, validates against the spec.

A walk drives all 31 operations over HTTP (successes and the declared error cases), records
each response, then checks: the status is one the operation declares, and the body validates
against that status's schema (OpenAPI 3.0 schemas, ``nullable`` honoured, ``$ref``s resolved
against the document). The walk must reach every operation with a 2xx.

The spec is the repaired document the client is generated from when present, else the pinned
assembled one.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from emulator_helpers import SEED_QASM, Api
from jsonschema import Draft4Validator, FormatChecker  # type: ignore[import-untyped]
from qiskit_runtime_emulator import DEFAULT_ACCOUNT_ID, Emulator, JobDelays
from referencing import Registry
from referencing.jsonschema import DRAFT4

ROOT = Path(__file__).resolve().parents[2]
# The exact document the client is generated from: the pinned spec with openapi/overlay.yaml's
# repairs (which include the cases where IBM's spec disagrees with what the service returns).
SPEC_PATH = ROOT / "generated" / "qiskit_runtime_api" / "openapi.json"
SPEC_URI = "urn:qiskit-runtime-api"
METHODS = ("get", "post", "put", "patch", "delete")


def _load_spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    return spec


def _nullable_to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 ``nullable: true`` means the value may also be null."""
    if isinstance(node, list):
        return [_nullable_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {
        key: _nullable_to_json_schema(value)
        for key, value in node.items()
        if not (key == "nullable" and isinstance(value, bool))
    }
    if node.get("nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def _is_datetime(value: object) -> bool:
    if isinstance(value, str):
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


def _is_date(value: object) -> bool:
    if isinstance(value, str):
        date.fromisoformat(value)
    return True


def _is_uuid(value: object) -> bool:
    if isinstance(value, str):
        uuid.UUID(value)
    return True


def _format_checker() -> Any:
    # Only the formats the spec uses for strings; int32/double are type checks already.
    checker = FormatChecker(formats=())
    checker.checks("date-time", raises=ValueError)(_is_datetime)
    checker.checks("date", raises=ValueError)(_is_date)
    checker.checks("uuid", raises=ValueError)(_is_uuid)
    return checker


@dataclass(frozen=True)
class Exchange:
    method: str
    template: str
    status: int
    content_type: str
    text: str


class Spec:
    def __init__(self) -> None:
        raw = _load_spec()
        self.document = raw
        converted = _nullable_to_json_schema(raw)
        resource = DRAFT4.create_resource(converted)
        self.registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
        self.checker = _format_checker()
        self.templates: list[tuple[str, re.Pattern[str]]] = [
            (template, re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$"))
            for template in raw["paths"]
        ]

    def operations(self) -> set[tuple[str, str]]:
        return {
            (method.upper(), template)
            for template, item in self.document["paths"].items()
            for method in item
            if method in METHODS
        }

    def template_for(self, path: str) -> str:
        matches = [template for template, regex in self.templates if regex.match(path)]
        assert len(matches) == 1, f"{path} matches {matches}"
        return matches[0]

    def check(self, exchange: Exchange) -> list[str]:
        pointer_path = exchange.template.replace("~", "~0").replace("/", "~1")
        operation = self.document["paths"][exchange.template][exchange.method.lower()]
        declared = operation["responses"].get(str(exchange.status))
        where = f"{exchange.method} {exchange.template} -> {exchange.status}"
        if declared is None:
            return [f"{where}: status not declared ({sorted(operation['responses'])})"]
        content = declared.get("content")
        if not content:
            return [] if not exchange.text else [f"{where}: declared without a body, got one"]
        media = exchange.content_type.split(";")[0].strip()
        primitive_result = exchange.template == "/v1/jobs/{id}/results" and exchange.status == 200
        if primitive_result and media == "text/plain":
            # The spec labels results application/json but types them as a string
            # (LegacyJobResults); the emulator labels that string text/plain, as the 0.25.0 spec
            # did and as qrmi requires. Validate it against the declared string schema.
            media = "application/json"
        if media not in content:
            return [f"{where}: media type {media} not declared ({list(content)})"]
        if media == "application/json" and not primitive_result:
            instance: Any = json.loads(exchange.text)
        else:
            # text/plain logs, and primitive results: the spec types them as a string
            # (LegacyJobResults), the body the client decodes itself.
            instance = exchange.text
        method = exchange.method.lower()
        status = exchange.status
        media_pointer = media.replace("/", "~1")
        schema_ref = (
            f"{SPEC_URI}#/paths/{pointer_path}/{method}/responses/{status}/content/"
            f"{media_pointer}/schema"
        )
        validator = Draft4Validator(
            {"$ref": schema_ref}, registry=self.registry, format_checker=self.checker
        )
        return [
            f"{where}: {'/'.join(map(str, error.absolute_path))}: {error.message[:300]}"
            for error in validator.iter_errors(instance)
        ]


@pytest.fixture(scope="module")
def spec() -> Spec:
    return Spec()


class Recorder:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.exchanges: list[Exchange] = []

    def __call__(self, response: httpx.Response) -> None:
        path = response.request.url.path
        if "/api/v1/" not in path:
            return
        response.read()
        self.exchanges.append(
            Exchange(
                method=response.request.method,
                template=self.spec.template_for(path.split("/api", 1)[1]),
                status=response.status_code,
                content_type=response.headers.get("content-type", ""),
                text=response.text,
            )
        )


@pytest.fixture(scope="module", params=["2026-03-15", "2026-04-15"])
def walk(request: pytest.FixtureRequest, spec: Spec) -> Iterator[list[Exchange]]:
    recorder = Recorder(spec)
    with Emulator() as emu, Api(emu, version=request.param) as api:
        api.client.event_hooks["response"].append(recorder)
        _drive_every_operation(api)
        yield recorder.exchanges


def _expect(response: httpx.Response, status: int) -> httpx.Response:
    assert response.status_code == status, (response.request.url, response.text)
    return response


def _drive_every_operation(api: Api) -> None:
    ok: Callable[[httpx.Response], httpx.Response] = lambda r: _expect(r, r.status_code)  # noqa: E731
    unauthenticated = {"Authorization": "", "Service-CRN": api.emulator.crn}

    ok(api.client.get("/versions"))
    # Backends.
    _expect(api.get("/backends"), 200)
    _expect(api.get("/backends", params={"fields": "wait_time_seconds"}), 200)
    for name in ("ibm_fez", "ibm_emulator"):
        for kind in ("configuration", "defaults", "properties", "status"):
            _expect(api.get(f"/backends/{name}/{kind}"), 200)

    # Jobs: a pending one (for 204/400/cancel), finished ones of both programs, a failed one.
    api.emulator.set_job_delays(JobDelays(queued=60, running=0))
    pending = api.submit("sampler", [SEED_QASM], tags=["walk-tag"])
    _expect(api.get(f"/jobs/{pending}"), 200)
    _expect(api.get(f"/jobs/{pending}/results"), 204)
    _expect(api.get(f"/jobs/{pending}/metrics"), 200)
    _expect(api.delete(f"/jobs/{pending}"), 400)
    _expect(api.post(f"/jobs/{pending}/cancel"), 204)
    _expect(api.post(f"/jobs/{pending}/cancel"), 409)
    _expect(api.get(f"/jobs/{pending}"), 200)
    api.emulator.set_job_delays(JobDelays(queued=0.05, running=0.05))

    session = _expect(api.post("/sessions", json={"mode": "dedicated", "backend": "ibm_fez"}), 200)
    session_id = session.json()["id"]
    _expect(api.get(f"/sessions/{session_id}"), 200)
    sampler = api.submit("sampler", [[SEED_QASM, None, 16]], session_id=session_id)
    estimator = api.submit("estimator", [[SEED_QASM, {"II": 1, "ZZ": 2.3}]], private=True)
    failed = api.submit("sampler", ["OPENQASM 3.0; qubit q; nope q;"])
    for job_id in (sampler, estimator, failed):
        api.wait(job_id)
        _expect(api.get(f"/jobs/{job_id}"), 200)
        _expect(api.get(f"/jobs/{job_id}", params={"exclude_params": "true"}), 200)
        _expect(api.get(f"/jobs/{job_id}/results"), 200)
        _expect(api.get(f"/jobs/{job_id}/logs"), 200)
        _expect(api.get(f"/jobs/{job_id}/metrics"), 200)
    _expect(api.get(f"/sessions/{session_id}"), 200)
    _expect(api.patch(f"/sessions/{session_id}", json={"accepting_jobs": False}), 204)
    _expect(api.get(f"/sessions/{session_id}"), 200)
    batch = _expect(api.post("/sessions", json={"mode": "batch"}), 200).json()["id"]
    _expect(api.get(f"/sessions/{batch}"), 200)
    _expect(api.delete(f"/sessions/{batch}/close"), 204)
    _expect(api.get(f"/sessions/{batch}"), 200)
    _expect(api.post("/sessions", json={"backend": "ibm_fez"}), 400)
    _expect(api.get("/sessions/nope"), 404)
    _expect(api.patch("/sessions/nope", json={"accepting_jobs": False}), 404)

    _expect(api.put(f"/jobs/{sampler}/tags", json={"tags": ["walk-tag", "other"]}), 204)
    _expect(api.get("/tags", params={"type": "job", "search": "walk"}), 200)
    _expect(api.get("/jobs"), 200)
    _expect(api.get("/jobs", params={"exclude_params": "false", "limit": 2}), 200)
    _expect(api.get("/jobs", params={"created_after": "not a date"}), 400)
    _expect(api.get("/jobs", headers=unauthenticated), 401)
    _expect(api.get("/jobs/nope"), 404)
    _expect(api.get("/jobs/nope/results"), 404)
    _expect(api.get("/jobs/nope/logs"), 404)
    _expect(api.get("/jobs/nope/metrics"), 404)
    _expect(api.put("/jobs/nope/tags", json={"tags": []}), 404)
    _expect(api.post("/jobs/nope/cancel"), 404)
    _expect(api.delete("/jobs/nope"), 404)
    _expect(api.post("/jobs", json={"backend": "ibm_fez"}), 400)
    _expect(api.post("/jobs", json={"program_id": "sampler", "backend": "ibm_x"}), 404)
    _expect(api.delete(f"/jobs/{failed}"), 204)

    # Instance, usage, accounts.
    _expect(api.get("/instance"), 200)
    _expect(api.get("/instances/configuration"), 200)
    _expect(api.put("/instances/configuration", json={"instance_limit": 1}), 204)
    _expect(api.get("/instances/configuration"), 200)
    _expect(api.get("/instance"), 200)
    _expect(api.post("/jobs", json={"program_id": "sampler", "backend": "ibm_fez"}), 409)
    _expect(api.put("/instances/configuration", json={"instance_limit": "lots"}), 400)
    _expect(api.put("/instances/configuration", json={"instance_limit": 10**8}), 409)
    _expect(api.put("/instances/configuration", json={"instance_limit": None}), 204)
    _expect(api.get("/instances/usage"), 200)
    _expect(api.get("/instances/usage", headers=unauthenticated), 401)
    _expect(api.get("/instance", headers=unauthenticated), 401)
    _expect(api.get(f"/accounts/{DEFAULT_ACCOUNT_ID}"), 200)
    _expect(api.get("/accounts/not.valid"), 400)
    _expect(api.get("/accounts/someone-else"), 404)

    # Workloads and analytics.
    page = _expect(api.get("/workloads", params={"limit": 1}), 200).json()
    cursor = httpx.URL(page["next"]["href"]).params["next"]
    _expect(api.get("/workloads", params={"limit": 1, "next": cursor}), 200)
    _expect(api.get("/workloads", params={"limit": 0}), 400)
    _expect(api.get("/workloads", headers=unauthenticated), 401)
    _expect(api.get("/analytics/usage"), 200)
    _expect(api.get("/analytics/usage", headers=unauthenticated), 401)
    for group in ("instance", "backend", "user_id", "plan", "subscription_id"):
        _expect(api.get("/analytics/usage_grouped", params={"group_by": group}), 200)
    _expect(api.get("/analytics/usage_grouped_by_date", params={"group_by": "instance"}), 200)
    _expect(api.get("/analytics/usage_grouped_by_date", params={"group_by": "plan"}), 400)
    _expect(api.get("/analytics/filters"), 200)

    # 403: a CRN this emulator does not serve.
    other_crn = api.emulator.crn.replace("quantum-computing:us-east", "quantum-computing:eu-de")
    _expect(api.get("/jobs", headers={"Service-CRN": other_crn}), 403)

    # Logout last: the bearer token alone (no Service-CRN), then that token is refused.
    _expect(api.post("/logout", headers={"Service-CRN": ""}), 204)
    _expect(api.get("/jobs"), 401)
    _expect(api.post("/logout"), 401)


def test_every_operation_is_exercised_with_success(spec: Spec, walk: list[Exchange]) -> None:
    succeeded = {(e.method, e.template) for e in walk if 200 <= e.status < 300}
    assert spec.operations() == succeeded
    assert len(succeeded) == 31


def test_every_response_validates_against_the_spec(spec: Spec, walk: list[Exchange]) -> None:
    problems = [problem for exchange in walk for problem in spec.check(exchange)]
    assert problems == [], "\n".join(problems)


def test_the_validator_catches_a_nonconforming_body(spec: Spec) -> None:
    # Guard against a validator that accepts anything: a job without its required fields.
    broken = Exchange("GET", "/v1/jobs/{id}", 200, "application/json", '{"id": "x"}')
    problems = spec.check(broken)
    assert any("required" in problem for problem in problems)
    undeclared = Exchange("GET", "/v1/versions", 404, "application/json", "{}")
    assert spec.check(undeclared)
    job = {
        "id": "x",
        "created": "yesterday",
        "program": {"id": "sampler"},
        "state": {"status": "Queued"},
        "status": "Queued",
        "cost": 1,
    }
    bad_time = Exchange("GET", "/v1/jobs/{id}", 200, "application/json", json.dumps(job))
    assert any("date-time" in problem for problem in spec.check(bad_time))
    session = {"id": "s", "mode": "batch", "backend_name": None}
    nullable = Exchange("GET", "/v1/sessions/{id}", 200, "application/json", json.dumps(session))
    assert spec.check(nullable) == []
