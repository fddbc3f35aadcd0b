"""schemathesis against the emulator with the pinned spec: no 5xx, and answers that validate.

Every operation of ``generated/qiskit_runtime_api/openapi.json`` gets ``EXAMPLES`` generated
requests (valid credentials, CRN and ``IBM-API-Version``), and each answer goes through
schemathesis's default checks: no server error, a declared status, a declared content type, a
body that validates, valid data accepted.

The spec is tested as it stands except for ``SPEC_GAPS``, the places where the pinned spec itself
is wrong (``docs/emulator-notes.md``, "Where the pinned spec is wrong", lists the same): statuses
any real route answers but the spec does not declare, and request bodies it leaves optional.
``SEMANTIC_400S`` are refusals of schema-valid requests for a reason a schema cannot express (an
unknown backend, a cursor this server never issued, an interval longer than the maximum); each is
on an operation that declares 400.

Bounded: ``EXAMPLES`` per operation, 31 operations, one emulator: about 20 s on 2 cores.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from qiskit_runtime_emulator import Emulator, JobDelays  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT / "generated" / "qiskit_runtime_api" / "openapi.json"
EXAMPLES = 12
API_VERSION = "2026-04-15"

_CONTAINER = {"$ref": "#/components/schemas/ErrorContainer"}

# (method, path) -> statuses the service answers that the spec does not declare, and why.
SPEC_GAPS: dict[tuple[str, str], dict[str, str]] = {
    **{
        ("GET", f"/v1/backends/{{id}}/{document}"): {"404": "an unknown backend"}
        for document in ("configuration", "defaults", "properties", "status")
    },
    ("DELETE", "/v1/sessions/{id}/close"): {"404": "an unknown session"},
    ("PATCH", "/v1/sessions/{id}"): {"400": "a body without accepting_jobs"},
    ("PUT", "/v1/jobs/{id}/tags"): {"400": "a body without tags"},
}
# Request bodies the spec leaves optional though the operation means nothing without one.
REQUIRED_BODIES = (
    ("POST", "/v1/jobs"),
    ("POST", "/v1/sessions"),
    ("PATCH", "/v1/sessions/{id}"),
    ("PUT", "/v1/jobs/{id}/tags"),
    ("PUT", "/v1/instances/configuration"),
)
# (method, path) -> what the 400's message says, for schema-valid requests refused on meaning.
SEMANTIC_400S: dict[tuple[str, str], str] = {
    ("POST", "/v1/sessions"): r"Backend not found",
    ("GET", "/v1/workloads"): r"Invalid cursor",
    ("GET", "/v1/analytics/usage_grouped_by_date"): (
        r"interval covers \d+ days; at most 366|interval_start must not be after interval_end"
    ),
}


def corrected_spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    patched = copy.deepcopy(spec)
    for (method, path), statuses in SPEC_GAPS.items():
        responses = patched["paths"][path][method.lower()]["responses"]
        for status, why in statuses.items():
            assert status not in responses, f"{method} {path} now declares {status}: drop the gap"
            responses[status] = {
                "description": f"(spec gap) {why}",
                "content": {"application/json": {"schema": _CONTAINER}},
            }
    for method, path in REQUIRED_BODIES:
        body = patched["paths"][path][method.lower()]["requestBody"]
        assert not body.get("required"), f"{method} {path}: the spec now requires its body"
        body["required"] = True
    return patched


schema = schemathesis.openapi.from_dict(corrected_spec())
# Schema-valid requests only: the question is whether the emulator answers the requests the spec
# allows as the spec says. (Negative generation also flags one-element arrays sent as a single
# query value, which are valid on the wire.)
schema.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE])
schema.config.phases.update(phases=["examples", "fuzzing"])


def _token(emu: Emulator) -> str:
    return str(
        httpx.post(
            f"{emu.iam_url}/identity/token",
            data={"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": emu.api_key},
        ).json()["access_token"]
    )


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(job_delays=JobDelays(queued=0.01, running=0.01), seed=5) as emu:
        yield emu


@pytest.fixture(scope="module")
def server(emulator: Emulator) -> tuple[str, dict[str, str]]:
    headers = {
        "Authorization": f"Bearer {_token(emulator)}",
        "Service-CRN": emulator.crn,
        "IBM-API-Version": API_VERSION,
    }
    return emulator.base_url, headers


def test_the_spec_gaps_are_the_documented_ones() -> None:
    notes = (ROOT / "docs" / "emulator-notes.md").read_text()
    section = notes.split("## Where the pinned spec is wrong", 1)[1].split("\n## ", 1)[0]
    for method, path in [*SPEC_GAPS, *REQUIRED_BODIES, *SEMANTIC_400S]:
        assert f"`{method} {path}`" in section, f"{method} {path} is not documented"


@schema.parametrize()  # type: ignore[untyped-decorator]
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_the_spec_says(
    case: Any, server: tuple[str, dict[str, str]], emulator: Emulator
) -> None:
    base_url, headers = server
    if (case.method.upper(), case.path) == ("POST", "/v1/logout"):
        # Logging out refuses the token it presents: a token of its own keeps the shared one.
        headers = {**headers, "Authorization": f"Bearer {_token(emulator)}"}
    response = case.call(base_url=base_url, headers=headers, timeout=10)
    assert response.status_code < 500, response.text
    excluded = []
    semantic = SEMANTIC_400S.get((case.method.upper(), case.path))
    if response.status_code == 400 and semantic and re.search(semantic, response.text):
        excluded.append(positive_data_acceptance)
    case.validate_response(response, headers=headers, excluded_checks=excluded)
