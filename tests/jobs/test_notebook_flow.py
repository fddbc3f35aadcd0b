"""The seed notebook, ported: the README's snippet runs against a cassette of its whole flow
(IAM token, session, sampler job, estimator job, status polls, results, graceful close)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from qiskit_runtime_rest.testing import find_secrets

from .conftest import VALID_CRN

ROOT = Path(__file__).resolve().parents[2]

# The README's "ported notebook" snippet. When README.md carries it (a python block that opens a
# session with rt.session), the README's own text is what runs; otherwise this copy does.
NOTEBOOK_SNIPPET = """\
from qiskit_runtime_rest import RuntimeClient

# The notebook's circuit, as IBM's transpiler service returned it (OpenQASM 3).
qasm = 'OPENQASM 3.0; include "stdgates.inc"; bit[2] c; x $0; c[0] = measure $0; c[1] = measure $1;'

rt = RuntimeClient.from_env()  # QISKIT_IBM_TOKEN (API key), QISKIT_IBM_INSTANCE (CRN)
with rt.session("ibm_pittsburgh") as s:
    sampler = s.run_sampler([qasm, (qasm, None, 500)])
    estimator = s.run_estimator([(qasm, {"II": 1, "ZZ": 2.3}, None, 0.01)])
    print(sampler.result()[1].data.c.get_int_counts())
    print("Expectation value:", estimator.result()[0].evs)
"""

QASM = re.findall(r"qasm = '(.*)'", NOTEBOOK_SNIPPET)[0]
EXPECTED_OUTPUT = "{1: 496, 0: 4}\nExpectation value: -1.3206712251052517\n"


def readme_snippet() -> str:
    readme = ROOT / "README.md"
    text = readme.read_text() if readme.exists() else ""
    for block in re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL):
        if "rt.session(" in block and "run_estimator" in block:
            return str(block)
    raise AssertionError("the README no longer shows the ported notebook flow")


@pytest.fixture
def notebook_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QISKIT_IBM_TOKEN", "not-a-real-api-key")
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", VALID_CRN)
    # The recorded job is Queued once: the waiter's first 0.5 s back-off need not be real time.
    monkeypatch.setattr(time, "sleep", lambda seconds: None)


def test_the_cassettes_hold_no_credentials() -> None:
    cassettes = sorted((ROOT / "cassettes" / "jobs").glob("*.yaml"))
    assert cassettes
    for path in cassettes:
        assert find_secrets(path.read_text()) == [], path.name


@pytest.mark.vcr("notebook_flow.yaml")
@pytest.mark.usefixtures("notebook_env")
def test_notebook_flow_in_detail(vcr: Any) -> None:
    from qiskit_runtime_rest import RuntimeClient

    qasm = QASM
    rt = RuntimeClient.from_env()
    statuses: list[str] = []
    with rt.session("ibm_pittsburgh") as s:
        assert s.id == "crw9kjy7jqmg008zp7mg"
        sampler = s.run_sampler([qasm, (qasm, None, 500)])
        estimator = s.run_estimator([(qasm, {"II": 1, "ZZ": 2.3}, None, 0.01)])
        assert sampler.id == "crw9kkex484g008fc7ng" and sampler.session_id == s.id
        sampler.wait(callback=lambda job, status: statuses.append(status.value))
        result = sampler.result()
        est = estimator.result()
    assert statuses == ["Queued", "Completed"]
    # PUB 0: the 20 samples the notebook printed; the body has no num_bits, the circuit says 2.
    pub0 = result[0].data.c
    assert pub0.num_bits == 2
    assert pub0.get_counts() == {"01": 6, "00": 14}
    assert pub0.get_bitstrings()[:3] == ["01", "01", "00"]
    # PUB 1: the notebook's own Counter(int(x, 16) for x in samples).
    assert result[1].data.c.get_int_counts() == {1: 496, 0: 4}
    assert result[1].data.c.get_counts() == {"01": 496, "00": 4}
    assert est[0].evs == -1.3206712251052517
    assert est[0].stds == 0.019759525689619355
    assert est[0].ensemble_standard_error == 0.0200795395210333
    assert est[0].metadata["shots"] == 10016
    assert vcr.all_played
