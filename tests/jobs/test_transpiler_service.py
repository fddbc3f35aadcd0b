"""``rt.transpiler_service``: IBM's cloud transpiler service, replayed from the seed notebook's
recorded answer (a cassette) and scripted on a mock (waiting, failures, the paid-plan refusal)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from qiskit_runtime_rest import (
    ApiError,
    AuthenticationError,
    CircuitLayout,
    InvalidInputError,
    JobTimeoutError,
    PermissionDeniedError,
    RuntimeClient,
    ServerError,
    TranspiledQasm,
    TranspilerServiceError,
)

from .conftest import VALID_CRN, FakeClock, MockApi

# Seed In[53]: the notebook's own circuit, untranspiled.
NOTEBOOK_QASM = "\n".join(
    [
        "",
        "OPENQASM 3;",
        'include "stdgates.inc";',
        "qreg q[2];",
        "creg c[2];",
        "x q[0];",
        "c[0] = measure q[0]; ",  # the notebook's trailing space
        "c[1] = measure q[1];",
        "",
    ]
)
# Seed In[57]/In[58]: what the service answered.
RECORDED_QASM = (
    'OPENQASM 3.0; include "stdgates.inc"; bit[2] c; x $0; c[0] = measure $0; c[1] = measure $1;'
)
TASK_ID = "7a38212c-efca-46a3-9a3f-899652274e7b"
SERVICE = "https://cloud-transpiler.quantum.ibm.com"


def success(qasm: str = RECORDED_QASM, final: list[int] | None = None) -> dict[str, Any]:
    layout = {"initial": list(range(27)), "final": [0, 1] if final is None else final}
    return {"state": "SUCCESS", "result": [{"qasm": qasm, "success": True, "layout": layout}]}


@pytest.mark.vcr("transpiler_notebook.yaml")
def test_the_notebook_s_recorded_answer(vcr: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QISKIT_IBM_TOKEN", "not-a-real-api-key")
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", VALID_CRN)
    monkeypatch.delenv("QISKIT_IBM_TRANSPILER_URL", raising=False)
    with RuntimeClient.from_env() as rt:
        assert rt.transpiler_service.url == SERVICE
        isa = rt.transpiler_service.transpile(NOTEBOOK_QASM, "ibm_hanoi", optimization_level=1)
    assert isinstance(isa, TranspiledQasm) and isinstance(isa, str)
    assert isa == RECORDED_QASM
    assert isa.layout == CircuitLayout(initial=tuple(range(27)), final=(0, 1))
    assert isa.num_qubits == 27  # the device's width, from the initial layout
    # The notebook's estimator observable, laid out for the ISA circuit on ibm_hanoi.
    assert isa.layout.apply({"II": 1, "ZZ": 2.3}, isa.num_qubits) == {
        "I" * 27: 1,
        "I" * 25 + "ZZ": 2.3,
    }
    assert vcr.all_played


def test_submit_sends_the_reference_s_request(rt: Any, api: MockApi) -> None:
    api.on("POST", "/transpile", {"task_id": TASK_ID})
    assert rt.transpiler_service.submit([NOTEBOOK_QASM], "ibm_fez", optimization_level=2) == TASK_ID
    (request,) = api.calls("POST", "/transpile")
    assert str(request.url).startswith(SERVICE + "/transpile?")
    assert dict(request.url.params) == {
        "backend": "ibm_fez",
        "optimization_level": "2",
        "ai": "false",
    }
    assert api.body(request) == {"qasm_circuits": [NOTEBOOK_QASM]}
    # The client's own auth flow: a bearer token and the instance's CRN, never an API key.
    assert request.headers["Authorization"] == "Bearer t"
    assert request.headers["Service-CRN"] == VALID_CRN


def test_transpile_waits_with_backoff_through_pending_states(
    rt: Any, api: MockApi, clock: FakeClock
) -> None:
    api.on("POST", "/transpile", {"task_id": TASK_ID})
    api.on(
        "GET",
        f"/transpile/{TASK_ID}",
        {"state": "PENDING", "result": None},
        {"state": "STARTED"},
        {"state": "SUCCESS", "result": None},  # not there yet: qiskit-ibm-transpiler waits too
        503,  # a transient failure is waited through, as a job poll's is
        success(),
    )
    isa = rt.transpiler_service.transpile(NOTEBOOK_QASM, "ibm_fez")
    assert isa == RECORDED_QASM
    assert len(api.calls("GET", f"/transpile/{TASK_ID}")) >= 5
    waits = [s for s in clock.sleeps if s >= 0.25]  # the poll backoff (the 503's retries too)
    assert len(waits) >= 4 and max(waits) <= 10


def test_a_list_in_gives_a_list_out(rt: Any, api: MockApi) -> None:
    api.on("POST", "/transpile", {"task_id": TASK_ID})
    api.on("GET", f"/transpile/{TASK_ID}", success())
    out = rt.transpiler_service.transpile([NOTEBOOK_QASM], "ibm_fez")
    assert isinstance(out, list) and out == [RECORDED_QASM]


def test_a_failed_task_is_a_typed_error(rt: Any, api: MockApi) -> None:
    api.on("POST", "/transpile", {"task_id": TASK_ID})
    api.on("GET", f"/transpile/{TASK_ID}", {"state": "FAILURE", "result": "Backend busy"})
    with pytest.raises(TranspilerServiceError, match="Backend busy") as failure:
        rt.transpiler_service.transpile(NOTEBOOK_QASM, "ibm_fez")
    assert failure.value.task_id == TASK_ID


def test_a_circuit_the_service_could_not_transpile(rt: Any, api: MockApi) -> None:
    api.on("POST", "/transpile", {"task_id": TASK_ID})
    api.on(
        "GET",
        f"/transpile/{TASK_ID}",
        {"state": "SUCCESS", "result": [{"qasm": None, "success": False}]},
    )
    with pytest.raises(TranspilerServiceError, match="circuit 0 could not be transpiled"):
        rt.transpiler_service.transpile(NOTEBOOK_QASM, "ibm_fez")


def test_the_wait_honours_its_timeout(rt: Any, api: MockApi) -> None:
    api.on("POST", "/transpile", {"task_id": TASK_ID})
    api.on("GET", f"/transpile/{TASK_ID}", {"state": "PENDING"})
    with pytest.raises(JobTimeoutError, match=TASK_ID):
        rt.transpiler_service.transpile(NOTEBOOK_QASM, "ibm_fez", timeout=5)


@pytest.mark.parametrize(
    ("status", "error"), [(401, AuthenticationError), (403, PermissionDeniedError)]
)
def test_a_refusal_says_it_is_a_paid_plan_service(
    rt: Any, api: MockApi, status: int, error: type[Exception]
) -> None:
    api.on("POST", "/transpile", httpx.Response(status, json={"detail": "Invalid token"}))
    with pytest.raises(error) as refused:
        rt.transpiler_service.submit(NOTEBOOK_QASM, "ibm_fez")
    message = str(refused.value)
    assert "paid plans only" in message and "Invalid token" in message
    assert "rt.transpile" in message  # and what to do instead


def test_other_errors_keep_the_service_s_detail(rt: Any, api: MockApi) -> None:
    detail = [{"loc": ["query", "optimization_level"], "msg": "must be 0..3", "type": "x"}]
    api.on("POST", "/transpile", httpx.Response(422, json={"detail": detail}))
    with pytest.raises(ApiError, match=r"transpiler service: must be 0\.\.3"):
        rt.transpiler_service.submit(NOTEBOOK_QASM, "ibm_fez")
    api.on("GET", f"/transpile/{TASK_ID}", httpx.Response(500, json={"detail": "boom"}))
    with pytest.raises(ServerError, match="boom"):
        rt.transpiler_service.task(TASK_ID)


def test_bad_input_is_refused_before_sending(rt: Any, api: MockApi) -> None:
    with pytest.raises(InvalidInputError, match="optimization_level"):
        rt.transpiler_service.submit(NOTEBOOK_QASM, "ibm_fez", optimization_level=4)
    with pytest.raises(InvalidInputError, match="no circuits"):
        rt.transpiler_service.submit([], "ibm_fez")
    with pytest.raises(InvalidInputError, match="circuit must be"):
        rt.transpiler_service.submit([42], "ibm_fez")
    assert api.requests == []


def test_the_url_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QISKIT_IBM_TRANSPILER_URL", "https://transpiler.example.test/")
    with RuntimeClient(bearer_token="t", crn=VALID_CRN) as rt:
        assert rt.transpiler_service.url == "https://transpiler.example.test"


def test_layouts_read_leniently_and_checked() -> None:
    layout = CircuitLayout.from_json({"initial": [5, 3, 0, 1, 2, 4]}, num_qubits=2)
    assert layout.final == (5, 3)  # no final: the qubits end where they started
    moved = CircuitLayout.from_json({"initial": [5, 3, 0, 1, 2, 4], "final": [3, 5]})
    assert moved.apply("XZ", 6) == "XIZIII"  # Z on virtual 0 -> physical 3, X on 1 -> 5
    assert moved.apply(["XZ", {"ZZ": 2.0}], 6) == ["XIZIII", {"ZIZIII": 2.0}]
    with pytest.raises(InvalidInputError, match="acts on 3 qubits"):
        moved.apply("ZZZ", 6)
    with pytest.raises(InvalidInputError, match="Pauli"):
        moved.apply("AB", 6)
    from qiskit_runtime_rest import UnexpectedResponseError

    with pytest.raises(UnexpectedResponseError):
        CircuitLayout.from_json({"initial": [0, -1]})
    with pytest.raises(UnexpectedResponseError):
        CircuitLayout.from_json("nope")


def test_transpiled_qasm_survives_a_pickle_and_json() -> None:
    import pickle

    qasm = TranspiledQasm(RECORDED_QASM, CircuitLayout((0, 1, 2), (1, 0)), 3)
    again = pickle.loads(pickle.dumps(qasm))
    assert again == qasm and again.layout == qasm.layout and again.num_qubits == 3
    assert json.loads(json.dumps([qasm])) == [RECORDED_QASM]
