"""Write ``cassettes/jobs/notebook_flow.yaml``: the seed notebook's flow, in the new API.

Run it by hand (``python tests/jobs/make_notebook_cassette.py``) after changing the data below;
the test suite only replays the file. Nothing here was invented where a real output exists: every
body is one the classic notebook (``shared/seeds/001_c4dd1d3a33d7577c.txt``) printed, or IBM's
documentation recorded (``shared/reference/recorded/``), moved to the new API's routes. Where the
source printed less than a whole body, what was added is listed in ``PROVENANCE`` and written into
the cassette's header.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "cassettes" / "jobs" / "notebook_flow.yaml"

API = "https://quantum.cloud.ibm.com/api"
BACKEND = "ibm_pittsburgh"
SESSION_ID = "crw9kjy7jqmg008zp7mg"  # seed In[76]: {'id': 'crw9kjy7jqmg008zp7mg'}
SAMPLER_ID = "crw9kkex484g008fc7ng"  # seed In[77]: "Job created: {...}"
ESTIMATOR_ID = "crw9mk27wv80008fgmf0"  # seed In[78]

# Seed In[58]: the circuit as the transpiler service returned it.
QASM = 'OPENQASM 3.0; include "stdgates.inc"; bit[2] c; x $0; c[0] = measure $0; c[1] = measure $1;'
# What the facade sends (not matched on replay; the idempotency tag is random per submission).
TAG = "qrr-idem-<20 random hex digits>"
SAMPLER_REQUEST = {
    "program_id": "sampler",
    "backend": BACKEND,
    "params": {"pubs": [[QASM], [QASM, None, 500]], "version": 2},
    "session_id": SESSION_ID,
    "tags": [TAG],
}
ESTIMATOR_REQUEST = {
    "program_id": "estimator",
    "backend": BACKEND,
    "params": {"pubs": [[QASM, {"II": 1, "ZZ": 2.3}, None, 0.01]], "version": 2},
    "session_id": SESSION_ID,
    "tags": [TAG],
}

# Seed In[61]: results[0].data.c.samples[:20] of the session's sampler job (only 20 printed).
PUB0_SAMPLES = [
    "0x1",
    "0x1",
    "0x0",
    "0x0",
    "0x0",
    "0x0",
    "0x0",
    "0x1",
    "0x1",
    "0x0",
    "0x0",
    "0x0",
    "0x0",
    "0x0",
    "0x1",
    "0x0",
    "0x0",
    "0x1",
    "0x0",
    "0x0",
]
# Seed In[12]-In[14]: PUB 1 (500 shots) of the sampler job; its first 20 samples printed as
# '0x1', and its counts as Counter({1: 496, 0: 4}). The order after the 20th is not recorded.
PUB1_SAMPLES = ["0x1"] * 496 + ["0x0"] * 4

# Seed In[63]: the estimator job's complete `results` array.
ESTIMATOR_RESULTS = [
    {
        "data": {
            "evs": -1.3206712251052517,
            "stds": 0.019759525689619355,
            "ensemble_standard_error": 0.0200795395210333,
        },
        "metadata": {
            "shots": 10016,
            "target_precision": 0.01,
            "circuit_metadata": {},
            "resilience": {},
            "num_randomizations": 32,
        },
    }
]

IAM_REQUEST = "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=REDACTED"
# IBM's IAM sample answer (recorded/primitives-rest-api.json, step 1), tokens already REDACTED.
IAM_ANSWER = {
    "access_token": "REDACTED",
    "refresh_token": "REDACTED",
    "token_type": "Bearer",
    "expires_in": 3600,
    "expiration": 1473188353,
}

PROVENANCE = """\
# The seed notebook's flow (shared/seeds/001_c4dd1d3a33d7577c.txt: session, sampler job,
# estimator job, results, close) moved to the new API. Written by
# tests/jobs/make_notebook_cassette.py; replayed by tests/jobs/test_notebook_flow.py.
#
# Real, as printed: the session id and both job ids (seed In[76]-In[78]); the job-creation
# bodies' fields; the states {'status': 'Queued'|'Completed', 'reason': '', 'reasonCode': None}
# (seed In[32], In[60], In[62]); the estimator `results` array (seed In[63]); PUB 0's 20 samples
# (seed In[61], the only ones printed); PUB 1's counts Counter({1: 496, 0: 4}) and first 20
# samples (seed In[12]-In[14], a 500-shot PUB of the same circuit); the IAM answer's shape
# (recorded/primitives-rest-api.json, tokens REDACTED).
# Adapted: backend ibm_hanoi -> ibm_pittsburgh (the new platform's recorded backend); routes
# /runtime/... -> /api/v1/...; the sampler body joins PUB 0 of the session job with PUB 1 of the
# 500-shot job; PUB 1's samples after the 20th are ordered 0x1 then 0x0 (only the counts are
# known); job bodies carry only id/backend/session_id/state/status (the notebook printed only
# `state`); no `num_bits` and no top-level result metadata (neither was ever printed).
# Closing: the facade closes gracefully with PATCH accepting_jobs=false (204, empty body, per the
# spec) where the notebook used DELETE .../close.
"""


def _interaction(
    method: str, url: str, status: int, body: Any, *, request_body: Any = None
) -> dict[str, Any]:
    text = "" if body is None else json.dumps(body, separators=(",", ":"))
    headers: dict[str, list[str]] = {}
    if body is not None:
        headers["content-type"] = ["application/json"]
    reason = {200: "OK", 204: "No Content"}[status]
    return {
        "request": {
            "method": method,
            "uri": url,
            "body": None if request_body is None else json.dumps(request_body),
            "headers": {"Authorization": ["REDACTED"], "Service-CRN": ["REDACTED"]},
        },
        "response": {
            "status": {"code": status, "message": reason},
            "headers": headers,
            "body": {"string": text},
        },
    }


def _job_state(job_id: str, status: str) -> dict[str, Any]:
    return {
        "id": job_id,
        "backend": BACKEND,
        "session_id": SESSION_ID,
        "state": {"status": status, "reason": "", "reasonCode": None},
        "status": status,
    }


def interactions() -> list[dict[str, Any]]:
    job = f"{API}/v1/jobs"
    return [
        {
            "request": {
                "method": "POST",
                "uri": "https://iam.cloud.ibm.com/identity/token",
                "body": IAM_REQUEST,
                "headers": {"Content-Type": ["application/x-www-form-urlencoded"]},
            },
            "response": {
                "status": {"code": 200, "message": "OK"},
                "headers": {"content-type": ["application/json"]},
                "body": {"string": json.dumps(IAM_ANSWER)},
            },
        },
        _interaction(
            "POST",
            f"{API}/v1/sessions",
            200,
            {"id": SESSION_ID},
            request_body={"mode": "dedicated", "backend": BACKEND},
        ),
        _interaction(
            "POST",
            job,
            200,
            {"id": SAMPLER_ID, "backend": BACKEND, "session_id": SESSION_ID},
            request_body=SAMPLER_REQUEST,
        ),
        _interaction(
            "POST",
            job,
            200,
            {"id": ESTIMATOR_ID, "backend": BACKEND, "session_id": SESSION_ID},
            request_body=ESTIMATOR_REQUEST,
        ),
        _interaction(
            "GET", f"{job}/{SAMPLER_ID}?exclude_params=true", 200, _job_state(SAMPLER_ID, "Queued")
        ),
        _interaction(
            "GET",
            f"{job}/{SAMPLER_ID}?exclude_params=true",
            200,
            _job_state(SAMPLER_ID, "Completed"),
        ),
        _interaction(
            "GET",
            f"{job}/{SAMPLER_ID}/results",
            200,
            {
                "results": [
                    {"data": {"c": {"samples": PUB0_SAMPLES}}, "metadata": {}},
                    {"data": {"c": {"samples": PUB1_SAMPLES}}, "metadata": {}},
                ]
            },
        ),
        _interaction(
            "GET",
            f"{job}/{ESTIMATOR_ID}?exclude_params=true",
            200,
            _job_state(ESTIMATOR_ID, "Completed"),
        ),
        _interaction("GET", f"{job}/{ESTIMATOR_ID}/results", 200, {"results": ESTIMATOR_RESULTS}),
        _interaction(
            "PATCH",
            f"{API}/v1/sessions/{SESSION_ID}",
            204,
            None,
            request_body={"accepting_jobs": False},
        ),
    ]


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    document = yaml.safe_dump(
        {"interactions": interactions(), "version": 1}, sort_keys=False, width=100
    )
    OUT.write_text(PROVENANCE + document)
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
