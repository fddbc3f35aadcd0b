"""The pinned IBM-API-Version against the emulator: the warnings, and both pinned shapes."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import pytest

pytest.importorskip("qiskit_runtime_emulator._app", reason="needs the [local] extra")

from qiskit_runtime_emulator import Emulator
from qiskit_runtime_rest import ApiVersionWarning, AsyncRuntimeClient, RuntimeClient
from qiskit_runtime_rest._constants import DEFAULT_API_VERSION

ONE = 'OPENQASM 3.0; include "stdgates.inc"; bit[1] c; x $0; c[0] = measure $0;'


def test_the_facade_pins_the_newest_documented_version() -> None:
    assert DEFAULT_API_VERSION == "2026-04-15"
    with RuntimeClient.local() as rt, warnings.catch_warnings():
        warnings.simplefilter("error")  # the emulator lists nothing newer: no advice
        listed = rt.versions()
    assert rt.api_version == "2026-04-15" == listed[-1].version


def test_a_newer_version_on_the_service_warns_once() -> None:
    listed = (
        ("2026-03-15", None, "live"),
        ("2026-04-15", None, "live"),
        ("2026-09-01", None, "live"),
    )
    with RuntimeClient.local(api_versions=listed) as rt:
        with pytest.warns(ApiVersionWarning, match="lists IBM-API-Version 2026-09-01, newer than"):
            rt.versions()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            rt.versions()


def test_a_deprecated_pin_warns_with_its_sunset_date() -> None:
    listed = (("2026-04-15", "2027-04-15", "deprecated"), ("2026-09-01", None, "live"))

    async def main() -> None:
        async with AsyncRuntimeClient.local(api_versions=listed) as rt:
            await rt.versions()

    with pytest.warns(ApiVersionWarning) as caught:
        asyncio.run(main())
    (warning,) = caught
    assert str(warning.message).startswith(
        "IBM-API-Version 2026-04-15 is deprecated (sunset 2027-04-15). The newest version the "
        "service lists is 2026-09-01."
    )


@pytest.mark.parametrize("version", ["2026-03-15", "2026-04-15"])
def test_job_metrics_read_the_same_under_both_versions(version: str) -> None:
    with (
        Emulator(job_delays=0.02, seed=5) as emu,
        RuntimeClient(
            api_key=emu.api_key,
            crn=emu.crn,
            base_url=emu.base_url,
            iam_url=emu.iam_url,
            api_version=version,
        ) as rt,
    ):
        job = rt.jobs.run_sampler("ibm_fez", [ONE], shots=10)
        assert job.result()[0].data.c.get_counts() == {"1": 10}
        metrics = job.metrics()
        sent: Any = next(iter(rt.jobs.list(limit=1))).body
    assert metrics["circuits_execution_time_ns"] > 0
    assert metrics["usage"]["status"] == "complete"
    assert sent["usage"]["status"] == "complete"
    # Where the service put it: inside `usage` before 2026-04-15, at the root from then on.
    assert ("circuits_execution_time_ns" in metrics["usage"]) is (version == "2026-03-15")
