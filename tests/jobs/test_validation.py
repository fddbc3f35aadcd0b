"""Every input error is caught before a request is sent, with a message that says what is wrong."""

from __future__ import annotations

from typing import Any

import pytest
from qiskit_runtime_rest import RuntimeClient
from qiskit_runtime_rest._exceptions import InvalidInputError
from qiskit_runtime_rest._pubs import (
    build_envelope,
    estimator_params,
    register_widths,
    sampler_params,
    validate_tags,
)

from .conftest import MockApi

QASM = 'OPENQASM 3.0; include "stdgates.inc"; bit[2] c; x $0; c[0] = measure $0; c[1] = measure $1;'


def rejects(match: str, func: Any, *args: Any, **kwargs: Any) -> InvalidInputError:
    with pytest.raises(InvalidInputError, match=match) as info:
        func(*args, **kwargs)
    return info.value


# --- sampler PUBs ----------------------------------------------------------------------------


def test_sampler_pub_forms_are_normalised() -> None:
    params, widths = sampler_params([QASM, (QASM,), (QASM, None, 500), [QASM, {"t": 0.5}]])
    assert params["pubs"] == [[QASM], [QASM], [QASM, None, 500], [QASM, {"t": 0.5}]]
    assert params["version"] == 2
    assert "support_qiskit" not in params  # plain JSON results unless asked
    assert widths == [{"c": 2}] * 4


def test_a_bare_circuit_is_one_pub() -> None:
    params, _ = sampler_params(QASM)
    assert params["pubs"] == [[QASM]]


@pytest.mark.parametrize("pub", [(), (QASM, None, 10, "extra")])
def test_sampler_pub_has_one_to_three_items(pub: tuple[Any, ...]) -> None:
    rejects(r"sampler pubs\[0\]: a sampler PUB has 1 to 3 items", sampler_params, [pub])


@pytest.mark.parametrize("shots", [0, -5])
def test_sampler_shots_must_be_positive(shots: int) -> None:
    rejects(r"pubs\[1\]: shots must be >= 1", sampler_params, [QASM, (QASM, None, shots)])
    rejects(r"shots must be >= 1", sampler_params, [QASM], shots=shots)


@pytest.mark.parametrize("shots", [2.5, "100", True])
def test_sampler_shots_must_be_an_integer(shots: Any) -> None:
    rejects("shots must be an integer", sampler_params, [(QASM, None, shots)])


def test_empty_pub_list_is_rejected() -> None:
    rejects("at least one PUB", sampler_params, [])


@pytest.mark.parametrize("circuit", [42, b"OPENQASM 3;", "   "])
def test_circuit_must_be_qasm_text(circuit: Any) -> None:
    with pytest.raises(InvalidInputError, match="circuit"):
        sampler_params([(circuit,)])


def test_parameter_values_must_be_numbers() -> None:
    rejects("real numbers", sampler_params, [(QASM, {"theta": "x"})])
    rejects("finite", sampler_params, [(QASM, {"theta": float("nan")})])
    rejects("mapping", sampler_params, [(QASM, "theta=1")])


def test_quantum_circuit_is_accepted_when_qiskit_is_installed() -> None:
    qiskit = pytest.importorskip("qiskit")
    circuit = qiskit.QuantumCircuit(2, 2, name="bell")
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure([0, 1], [0, 1])
    params, widths = sampler_params([circuit])
    assert params["pubs"][0][0].startswith("OPENQASM 3")
    assert widths == [{"c": 2}]


# --- estimator PUBs --------------------------------------------------------------------------


def test_estimator_pub_forms() -> None:
    params = estimator_params(
        [(QASM, {"II": 1, "ZZ": 2.3}, None, 0.01), (QASM, "ZZ"), (QASM, ["ZZ", "XX"], [[0.1]])],
        resilience_level=1,
        precision=0.05,
    )
    assert params["pubs"] == [
        [QASM, {"II": 1, "ZZ": 2.3}, None, 0.01],
        [QASM, "ZZ", None],
        [QASM, ["ZZ", "XX"], [[0.1]]],
    ]
    assert params["resilience_level"] == 1
    assert params["precision"] == 0.05


@pytest.mark.parametrize("pub", [(QASM,), (QASM, "ZZ", None, 0.1, "x")])
def test_estimator_pub_has_two_to_four_items(pub: tuple[Any, ...]) -> None:
    rejects("an estimator PUB has 2 to 4 items", estimator_params, [pub])


def test_estimator_pub_must_be_a_tuple() -> None:
    rejects("an estimator PUB is a tuple", estimator_params, [QASM])


@pytest.mark.parametrize("precision", [0, -0.1, float("inf")])
def test_precision_must_be_positive(precision: float) -> None:
    rejects("precision must be > 0", estimator_params, [(QASM, "ZZ", None, precision)])
    rejects("precision must be > 0", estimator_params, [(QASM, "ZZ")], precision=precision)


def test_observables_must_be_paulis() -> None:
    rejects("not a Pauli string", estimator_params, [(QASM, "ZQ")])
    rejects("not a Pauli string", estimator_params, [(QASM, {"zz": 1})])
    rejects("real number", estimator_params, [(QASM, {"ZZ": "1"})])
    rejects("empty", estimator_params, [(QASM, {})])


@pytest.mark.parametrize("level", [3, -1, True, 1.0])
def test_resilience_level_range(level: Any) -> None:
    rejects(
        "resilience_level must be 0, 1 or 2",
        estimator_params,
        [(QASM, "ZZ")],
        resilience_level=level,
    )


# --- options ---------------------------------------------------------------------------------


def test_unknown_option_lists_valid_names_and_suggests_the_closest() -> None:
    error = rejects(
        "unknown sampler option 'twirling.enable_gate'",
        sampler_params,
        [QASM],
        options={"twirling": {"enable_gate": True}},
    )
    message = str(error)
    assert "enable_gates, enable_measure, num_randomizations" in message
    assert "did you mean 'enable_gates'?" in message


def test_unknown_top_level_option() -> None:
    error = rejects(
        "unknown estimator option 'resilence'",
        estimator_params,
        [(QASM, "ZZ")],
        options={"resilence": {}},
    )
    assert "did you mean 'resilience'?" in str(error)


def test_the_notebook_transpilation_option_gets_an_explanation() -> None:
    rejects("do not transpile", sampler_params, [QASM], options={"transpilation": {}})


def test_sampler_has_no_resilience_options() -> None:
    rejects(
        "unknown sampler option 'resilience'",
        sampler_params,
        [QASM],
        options={"resilience": {"measure_mitigation": True}},
    )


def test_valid_nested_options_pass_through() -> None:
    options = {
        "resilience": {"measure_mitigation": True, "zne": {"noise_factors": [1, 3, 5]}},
        "twirling": {"enable_gates": True},
        "dynamical_decoupling": {"enable": False},
        "experimental": {"anything": {"goes": 1}},
    }
    params = estimator_params([(QASM, "ZZ")], options=options)
    assert params["options"] == options


def test_sub_options_must_be_mappings() -> None:
    rejects("must be a mapping of sub-options", sampler_params, [QASM], options={"twirling": True})


# --- envelope --------------------------------------------------------------------------------


def test_tags_limits() -> None:
    assert validate_tags(["a"] * 8) == ["a"] * 8
    rejects("at most 8 tags", validate_tags, ["a"] * 9)
    rejects("at most 7 tags.*idempotency", validate_tags, ["a"] * 8, reserved=1)
    rejects("87 characters; at most 86", validate_tags, ["x" * 87])
    rejects("list of strings", validate_tags, "single")
    rejects("must be strings", validate_tags, [1])


@pytest.mark.parametrize("seconds", [0, 10801, 1.5, "60"])
def test_execution_time_bounds(seconds: Any) -> None:
    rejects(
        "max_execution_time",
        build_envelope,
        "sampler",
        "b",
        {},
        extras={"max_execution_time": seconds},
    )


def test_envelope_fields() -> None:
    body = build_envelope(
        "sampler",
        "ibm_pittsburgh",
        {"pubs": []},
        session_id="s1",
        tags=["t"],
        extras={"max_execution_time": 300, "log_level": "debug", "private": True},
    )
    assert body == {
        "program_id": "sampler",
        "backend": "ibm_pittsburgh",
        "params": {"pubs": []},
        "session_id": "s1",
        "tags": ["t"],
        "cost": 300,
        "log_level": "debug",
        "private": True,
    }


def test_unknown_envelope_field_is_rejected() -> None:
    error = rejects(
        "unknown job option 'log_levl'",
        build_envelope,
        "sampler",
        "b",
        {},
        extras={"log_levl": "info"},
    )
    assert "did you mean 'log_level'?" in str(error)


def test_bad_log_level() -> None:
    rejects(
        "log_level must be one of", build_envelope, "sampler", "b", {}, extras={"log_level": "loud"}
    )


def test_register_widths_from_qasm() -> None:
    text = """
    OPENQASM 3.0;
    bit[2] meas; // bit[9] commented;
    bit flag;
    creg c[3];
    creg d;
    """
    assert register_widths(text) == {"meas": 2, "flag": 1, "c": 3, "d": 1}


# --- nothing is sent when validation fails -----------------------------------------------------


def test_invalid_submission_sends_no_request(rt: RuntimeClient, api: MockApi) -> None:
    with pytest.raises(InvalidInputError):
        rt.jobs.run_sampler("ibm_pittsburgh", [(QASM, None, 0)])
    with pytest.raises(InvalidInputError):
        rt.jobs.run_estimator("ibm_pittsburgh", [(QASM, "ZZ")], tags=["t"] * 8)
    with pytest.raises(InvalidInputError):
        rt.jobs.run_sampler("", [QASM])
    with pytest.raises(InvalidInputError):
        rt.jobs.create("sampler", "b", {"pubs": []}, max_execution_time=99999)
    assert api.requests == []


def test_session_id_and_params_shape() -> None:
    rejects("session id", build_envelope, "sampler", "b", {}, session_id="x" * 37)
    rejects("program_id", build_envelope, "", "b", {})


def test_create_needs_a_params_mapping(rt: RuntimeClient, api: MockApi) -> None:
    with pytest.raises(InvalidInputError, match="params must be a mapping"):
        rt.jobs.create("sampler", "ibm_pittsburgh", [QASM])
    with pytest.raises(InvalidInputError, match="unknown job option 'cost'"):
        rt.jobs.create("sampler", "ibm_pittsburgh", {"pubs": [[QASM]]}, cost=10)
    assert api.requests == []


def test_list_arguments_are_validated(rt: RuntimeClient, api: MockApi) -> None:
    with pytest.raises(InvalidInputError, match="sort"):
        rt.jobs.list(sort="newest")
    with pytest.raises(InvalidInputError, match="at most 8 tags"):
        rt.jobs.list(tags=["t"] * 9)
    assert api.requests == []
