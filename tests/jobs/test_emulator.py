"""The jobs layer against the local emulator (a real HTTP server on 127.0.0.1)."""

from __future__ import annotations

import contextlib
import io
import logging
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
emulator_pkg = pytest.importorskip("qiskit_runtime_emulator")

from qiskit_runtime_rest import QiskitRuntimeError, RuntimeClient  # noqa: E402
from qiskit_runtime_rest._constants import IDEMPOTENCY_TAG_PREFIX  # noqa: E402

from .test_notebook_flow import QASM, readme_snippet  # noqa: E402

pytestmark = pytest.mark.emulator


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    delays = emulator_pkg.JobDelays(queued=0.05, running=0.05)
    with emulator_pkg.Emulator(job_delays=delays, seed=4321) as server:
        yield server


@pytest.fixture
def rt(emu: Any) -> Iterator[RuntimeClient]:
    # Back-offs and the idempotency lookup's settle delay need not be real time against a local
    # server that answers at once; a tiny real sleep still lets emulated jobs make progress.
    client = RuntimeClient(
        api_key=emu.api_key,
        crn=emu.crn,
        base_url=emu.base_url,
        iam_url=emu.iam_url,
        _sleep=lambda seconds: time.sleep(min(seconds, 0.02)),
    )
    yield client
    client.close()


def test_readme_snippet_runs_against_the_emulator(
    emu: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QISKIT_IBM_TOKEN", emu.api_key)
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", emu.crn)
    monkeypatch.setenv("QISKIT_IBM_URL", emu.base_url)
    monkeypatch.setenv("IAM_URL", emu.iam_url)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(readme_snippet(), "README.md", "exec"), {})
    counts_line, value_line = out.getvalue().splitlines()
    counts = eval(counts_line)  # the printed dict of ints, e.g. {1: 500}
    assert sum(counts.values()) == 500 and set(counts) <= {0, 1, 2, 3}
    assert counts.get(1, 0) > 400  # x on qubit 0: outcome 0b01 dominates
    assert value_line.startswith("Expectation value: ")
    assert -3.3 <= float(value_line.split(": ")[1]) <= 3.3


def test_no_job_is_ever_submitted_twice_under_dropped_connections(
    emu: Any, rt: RuntimeClient, caplog: pytest.LogCaptureFixture
) -> None:
    batch_tag = f"dup-check-{uuid.uuid4().hex[:8]}"
    returned: list[str] = []
    failures = 0
    mark = emu.journal.last_seq
    emu.set_faults(emulator_pkg.Faults(drop_rate=0.35, seed=11))
    try:
        with caplog.at_level(logging.WARNING, logger="qiskit_runtime_rest"):
            for _ in range(8):
                try:
                    job = rt.jobs.run_sampler("ibm_pittsburgh", [QASM], tags=[batch_tag])
                except QiskitRuntimeError:
                    failures += 1
                else:
                    returned.append(job.id)
    finally:
        emu.set_faults(None)
    listed = list(rt.jobs.list(tags=[batch_tag]))
    per_submission = Counter(
        tag for job in listed for tag in job.tags if tag.startswith(IDEMPOTENCY_TAG_PREFIX)
    )
    assert per_submission and max(per_submission.values()) == 1  # one job per submission, ever
    # The journal agrees: every POST that reached the service (not dropped first) made one job.
    posts = emu.journal.entries("POST", "/v1/jobs", since=mark)
    assert len([post for post in posts if post.fault is None]) == len(listed)
    assert any(post.fault == "drop" for post in posts)
    assert set(returned) <= {job.id for job in listed}
    assert len(returned) + failures == 8
    assert any("resubmitting" in record.getMessage() for record in caplog.records)


def test_wait_all_and_session_details_against_the_emulator(rt: RuntimeClient) -> None:
    with rt.batch("ibm_pittsburgh") as batch:
        jobs = [batch.run_sampler([(QASM, None, 50)]) for _ in range(3)]
        done = rt.jobs.wait_all(jobs, timeout=60)
        details = batch.details()
    assert [job.status().value for job in done] == ["Completed"] * 3
    assert details.mode == "batch" and details.state in ("open", "active", "inactive", "closed")
    assert sum(jobs[0].result()[0].data.c.get_int_counts().values()) == 50
