"""The pytest plugin shipped with the package: declared, light to load, and its fixtures work.

The user-side tests run in a separate pytest process (``-p qiskit_runtime_rest.pytest_plugin``,
exactly what the installed entry point loads), one process for all of them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = "qiskit_runtime_rest.pytest_plugin"
HEAVY = ("starlette", "uvicorn", "qiskit", "numpy", "qiskit_runtime_emulator")


def run_pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest in a fresh process with only the plugin added (no project conftest or ini)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", PLUGIN, "-p", "no:cacheprovider", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_entry_point_is_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pytest11"] == {PLUGIN: PLUGIN}


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    code = (
        f"import json, sys; import {PLUGIN}; "
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r})))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert json.loads(out) == []


def test_a_fixture_without_the_local_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from qiskit_runtime_rest import pytest_plugin

    monkeypatch.setattr(pytest_plugin, "LOCAL_EXTRA_MODULES", ("starlette", "no_such_module_qrt"))
    with pytest.raises(pytest.fail.Exception, match=r"\[local\].*no_such_module_qrt"):
        pytest_plugin._require_local_extra()


USER_TESTS = '''
import time

import anyio
import pytest
from qiskit_runtime_rest import ConflictError, JobFailedError, RateLimitError

# A Bell pair as an ISA circuit for ibm_fez (what rt.transpile gives at level 1): the emulator,
# like IBM, refuses h and cx.
BELL = """OPENQASM 3.0; include "stdgates.inc"; bit[2] meas;
rz(pi/2) $0; sx $0; rz(pi/2) $0; rz(pi/2) $1; sx $1; rz(pi/2) $1; cz $0, $1;
rz(pi/2) $1; sx $1; rz(pi/2) $1; meas[0] = measure $0; meas[1] = measure $1;"""
NOT_ISA = 'OPENQASM 3.0; include "stdgates.inc"; bit[1] c; h $0; c[0] = measure $0;'


def test_client_runs_a_job_and_the_journal_counts_it(qrt_client, qrt_emulator):
    counts = qrt_client.jobs.run_sampler("ibm_fez", [BELL], shots=100).result()[0].data.meas
    assert set(counts.get_counts()) <= {"00", "11"}
    assert qrt_emulator.journal.count("POST", "/v1/jobs") == 1


def test_each_test_starts_clean(qrt_client, qrt_emulator):
    assert list(qrt_client.jobs.list()) == []
    assert qrt_emulator.journal.count("POST", "/v1/jobs") == 0


@pytest.mark.qrt_emulator(seed=7)
def test_seed_makes_samples_repeat(qrt_client):
    first = qrt_client.jobs.run_sampler("ibm_fez", [BELL], shots=50).result()
    second = qrt_client.jobs.run_sampler("ibm_fez", [BELL], shots=50).result()
    assert first[0].data.meas.get_bitstrings() == second[0].data.meas.get_bitstrings()


def test_non_isa_circuits_fail_by_default(qrt_client):
    with pytest.raises(JobFailedError) as failed:
        qrt_client.jobs.run_sampler("ibm_fez", [NOT_ISA]).result()
    assert failed.value.reason_code == 1517


@pytest.mark.qrt_emulator(strict_isa=False)
def test_strict_isa_off(qrt_client):
    counts = qrt_client.jobs.run_sampler("ibm_fez", [NOT_ISA], shots=20).result()[0].data.c
    assert sum(counts.get_counts().values()) == 20


def test_the_transpiler_service_is_the_emulator_s(qrt_client, qrt_emulator):
    assert qrt_client.transpiler_service.url == qrt_emulator.transpiler_url
    isa = qrt_client.transpiler_service.transpile(NOT_ISA, "ibm_fez")
    assert qrt_client.jobs.run_sampler("ibm_fez", [isa], shots=10).result()[0].data.c.num_bits == 1


@pytest.mark.qrt_emulator(job_delays=0.3)
def test_delays(qrt_client):
    started = time.monotonic()
    qrt_client.jobs.run_sampler("ibm_fez", [BELL], shots=10).result()
    assert time.monotonic() - started >= 0.6


@pytest.mark.qrt_emulator(faults={"error_rate": 1.0, "error_status": 503})
def test_faults(qrt_client, qrt_emulator):
    with pytest.raises(Exception):
        qrt_client.backends.list()
    assert qrt_emulator.journal.count("GET", "/v1/backends") == 4  # the first try + 3 retries


@pytest.mark.qrt_emulator(fail_jobs=[{"reason_code": 1003, "reason": "nope"}])
def test_a_job_failure(qrt_client):
    with pytest.raises(JobFailedError) as failure:
        qrt_client.jobs.run_sampler("ibm_fez", [BELL]).result()
    assert failure.value.reason_code == 1003


@pytest.mark.qrt_emulator(backend_states={"ibm_fez": "maintenance"})
def test_maintenance(qrt_client):
    assert qrt_client.backends.status("ibm_fez").state is False


@pytest.mark.qrt_emulator(usage_limit_reached=True)
def test_usage_limit(qrt_client):
    with pytest.raises(ConflictError):
        qrt_client.jobs.run_sampler("ibm_fez", [BELL])


@pytest.mark.qrt_emulator(max_pending_jobs=0)
def test_pending_limit(qrt_client):
    with pytest.raises(RateLimitError):
        qrt_client.jobs.run_sampler("ibm_fez", [BELL])


@pytest.mark.qrt_emulator(session_max_ttl=1)
def test_session_ttl(qrt_client):
    with qrt_client.session("ibm_fez") as session:
        time.sleep(1.2)
        assert session.details().state == "closed"


@pytest.mark.parametrize("qrt_emulator", [{"seed": 1}, {"seed": 2}], indirect=True)
def test_indirect_parameters(qrt_emulator):
    assert qrt_emulator.config.seed in (1, 2)


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.anyio
async def test_async_client(qrt_async_client):
    async with qrt_async_client as rt:
        job = await rt.jobs.run_sampler("ibm_fez", [BELL], shots=20)
        result = await job.result()
    assert sum(result[0].data.meas.get_counts().values()) == 20


@pytest.mark.qrt_emulator(colour="blue")
def test_unknown_option_is_a_usage_error(qrt_emulator):
    pass
'''


def test_the_fixtures_markers_and_scenarios(tmp_path: Path) -> None:
    (tmp_path / "test_user_app.py").write_text(USER_TESTS)
    proc = run_pytest(tmp_path, "-q", "-rA", "-W", "ignore::DeprecationWarning")
    output = proc.stdout + proc.stderr
    # Every user test passes but the last, which misuses the marker on purpose.
    assert "16 passed" in output, output[-4000:]
    assert "1 error" in output and "unknown qrt_emulator option(s) colour" in output, output[-4000:]
