"""The generated request models keep every field: IBM's recorded bodies and the facade's own
envelopes go through ``from_dict`` / ``to_dict`` unchanged, each as its own program's model.

The repair is the overlay's "job requests" section (one request schema per program, selected by
its ``program_id``); without it an estimator body parsed as the sampler model and lost its
options. Bodies are parsed the way the generated client parses a union: the schema's variants in
order, the first whose ``from_dict`` succeeds.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import recorded_requests
import regenerate
from qiskit_runtime_api import models
from qiskit_runtime_rest._pubs import build_envelope, estimator_params, sampler_params

SPEC: dict[str, Any] = json.loads((regenerate.OUTPUT / "openapi.json").read_text())
QASM = 'OPENQASM 3.0; include "stdgates.inc"; bit[2] c; x $0; c[0] = measure $0; c[1] = measure $1;'
PARAMETRIC = (
    'OPENQASM 3.0; include "stdgates.inc"; input float[64] theta; bit[1] c; rx(theta) $0; '
    "c[0] = measure $0;"
)
TYPED = {
    "sampler": ("SamplerJobRunParams", "JobRunParamsSampler"),
    "estimator": ("EstimatorJobRunParams", "JobRunParamsEstimator"),
    "noise-learner": ("NoiseLearnerJobRunParams", None),
    "executor": ("ExecutorJobRunParams", None),
}


def _variants(schema: dict[str, Any]) -> list[str]:
    """Component names a body schema stands for, in the order the generated code tries them."""
    members = schema.get("anyOf") or schema.get("oneOf")
    if members:
        return [name for member in members for name in _variants(member)]
    name = schema["$ref"].rsplit("/", 1)[1]
    component = SPEC["components"]["schemas"][name]
    return _variants(component) if "anyOf" in component or "oneOf" in component else [name]


def parse_request(method: str, path: str, body: dict[str, Any]) -> Any:
    operation = SPEC["paths"][path][method.lower()]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    for name in _variants(schema):
        try:
            return getattr(models, name).from_dict(copy.deepcopy(body))
        except (TypeError, ValueError, AttributeError, KeyError):
            continue
    raise AssertionError(f"no variant of {method} {path} accepts {body}")


def assert_round_trip(method: str, path: str, body: dict[str, Any]) -> Any:
    model = parse_request(method, path, body)
    assert model.to_dict() == body
    assert json.dumps(model.to_dict(), sort_keys=True) == json.dumps(body, sort_keys=True)
    if path == "/v1/jobs":
        typed, params = TYPED.get(body["program_id"], ("JobRunParams", None))
        assert type(model).__name__ == typed
        if params is not None and "params" in body:
            assert type(model.params).__name__ == params
        # The untyped request of any program keeps everything too.
        assert models.JobRunParams.from_dict(copy.deepcopy(body)).to_dict() == body
    return model


RECORDED = recorded_requests.load()


def test_there_are_recorded_bodies_of_both_primitives() -> None:
    programs = [r["body"].get("program_id") for r in RECORDED if r["path"] == "/v1/jobs"]
    assert programs.count("sampler") >= 4 and programs.count("estimator") >= 4
    assert any(r["path"] == "/v1/sessions" for r in RECORDED)


@pytest.mark.skipif(
    not recorded_requests.SHARED.is_dir(),
    reason="shared/reference/recorded is not beside this clone",
)
def test_the_copy_of_the_recorded_bodies_is_current() -> None:
    assert recorded_requests.collect(recorded_requests.SHARED) == json.loads(
        recorded_requests.COPY.read_text(encoding="utf-8")
    )


@pytest.mark.parametrize(
    "request_", RECORDED, ids=[f"{r['file']}:{r['step'][:40]}" for r in RECORDED]
)
def test_every_recorded_ibm_request_body_round_trips(request_: dict[str, Any]) -> None:
    assert_round_trip(request_["method"], request_["path"], request_["body"])


def test_the_recorded_estimator_options_survive_as_typed_fields() -> None:
    (recorded,) = [r for r in RECORDED if "TREX + ZNE" in r["step"]]
    model = assert_round_trip("POST", "/v1/jobs", recorded["body"])
    resilience = model.params.options.resilience
    assert resilience.measure_mitigation is True and resilience.zne_mitigation is True
    assert model.params.options.twirling.strategy.value == "active-accum"
    assert model.params.version == "2"  # as IBM's guide sends it, and sent back the same


def _facade_envelopes() -> list[dict[str, Any]]:
    sampler, _ = sampler_params(
        [QASM, (PARAMETRIC, {"theta": [0.1, 0.2]}, 100)],
        shots=500,
        options={
            "default_shots": 1000,
            "dynamical_decoupling": {"enable": True, "sequence_type": "XY4"},
            "execution": {"init_qubits": True, "rep_delay": 0.0001, "meas_type": "classified"},
            "twirling": {"enable_gates": True, "num_randomizations": "auto"},
            "simulator": {"seed_simulator": 42, "basis_gates": ["cz", "rz", "sx", "x"]},
            "experimental": {"anything": [1, {"nested": True}]},
        },
        support_qiskit=True,
    )
    estimator = estimator_params(
        [(QASM, {"II": 1, "ZZ": 2.3}), (PARAMETRIC, ["Z", "X"], {"theta": [0.3]}, 0.02)],
        precision=0.01,
        resilience_level=2,
        options={
            "seed_estimator": 7,
            "default_precision": 0.015625,
            "default_shots": 4096,
            "resilience": {
                "measure_mitigation": True,
                "measure_noise_learning": {"num_randomizations": 32},
                "zne_mitigation": True,
                "zne": {"noise_factors": [1, 3, 5], "extrapolator": ["exponential", "linear"]},
                "pec_mitigation": False,
                "pec": {"max_overhead": 100, "noise_gain": "auto"},
                "layer_noise_learning": {"max_layers_to_learn": 4, "layer_pair_depths": [0, 1]},
            },
            "twirling": {"enable_measure": True, "strategy": "active"},
        },
    )
    extras = {"max_execution_time": 600, "log_level": "info", "private": True}
    return [
        build_envelope("sampler", "ibm_fez", sampler, session_id="s-1", tags=["a"], extras=extras),
        build_envelope("estimator", "ibm_fez", estimator, tags=["qrr-idem-0123"]),
        build_envelope(
            "noise-learner",
            "ibm_fez",
            {
                "circuits": [QASM],
                "options": {"max_layers_to_learn": 2, "twirling_strategy": "active-accum"},
                "version": 2,
            },
        ),
        build_envelope(
            "noise-learner",
            "ibm_fez",
            {
                "schema_version": "v0.2",
                "instructions": {"circuit_b64": "UVBZAA==", "qpy_version": 17},
                "options": {"shots_per_randomization": 64, "num_randomizations": 16},
            },
        ),
        build_envelope(
            "executor",
            "ibm_fez",
            {
                "schema_version": "v0.2",
                "quantum_program": {"shots": 100, "items": [], "meas_level": "classified"},
                "options": {"init_qubits": True},
            },
        ),
        build_envelope("calibrate", "ibm_fez", {"anything": {"goes": [1, 2]}}),
    ]


@pytest.mark.parametrize("body", _facade_envelopes(), ids=lambda b: str(b["program_id"]))
def test_the_facades_own_envelopes_round_trip(body: dict[str, Any]) -> None:
    assert_round_trip("POST", "/v1/jobs", body)


def test_the_estimator_fields_the_sampler_model_used_to_drop_are_kept() -> None:
    body = _facade_envelopes()[1]
    model = assert_round_trip("POST", "/v1/jobs", body)
    params = model.params
    assert params.precision == 0.01 and params.resilience_level == 2
    assert params.options.seed_estimator == 7 and params.options.default_precision == 0.015625
    assert params.options.resilience.zne.noise_factors == [1, 3, 5]


def test_options_the_spec_does_not_list_are_kept_not_dropped() -> None:
    body = _facade_envelopes()[0]
    body["params"]["options"]["an_option_ibm_adds_later"] = {"level": 3}
    body["params"]["a_new_top_level_field"] = True
    assert_round_trip("POST", "/v1/jobs", body)


@pytest.mark.parametrize("program", ["sampler", "estimator", "noise-learner", "executor"])
def test_a_typed_request_refuses_another_programs_body(program: str) -> None:
    typed = getattr(models, TYPED[program][0])
    for other in _facade_envelopes():
        if other["program_id"] == program:
            assert typed.from_dict(copy.deepcopy(other)).to_dict() == other
        else:
            with pytest.raises(ValueError):
                typed.from_dict(copy.deepcopy(other))


def test_typed_requests_default_their_program_id() -> None:
    params = models.JobRunParamsEstimator.from_dict({"pubs": [[QASM, {"ZZ": 1}]], "version": 2})
    built = models.EstimatorJobRunParams(backend="ibm_fez", params=params)
    assert built.to_dict() == {
        "backend": "ibm_fez",
        "program_id": "estimator",
        "params": {"pubs": [[QASM, {"ZZ": 1}]], "version": 2},
    }


def test_the_generated_create_job_accepts_every_typed_request() -> None:
    source = (regenerate.OUTPUT / "api" / "jobs" / "create_job.py").read_text()
    for name in ("SamplerJobRunParams", "EstimatorJobRunParams", "NoiseLearnerJobRunParams"):
        assert f"isinstance(body, {name})" in source
    assert Path(models.__file__).parent == regenerate.OUTPUT / "models"
