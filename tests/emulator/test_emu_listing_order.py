"""Listings stay in creation order after a job changes: the store's indexes put a re-indexed job
back in its place, so newest-first order and the early stop at ``created_before`` hold."""

from __future__ import annotations

from datetime import datetime

from emulator_helpers import BELL_QASM
from qiskit_runtime_emulator import Emulator, JobDelays
from qiskit_runtime_rest import RuntimeClient


def test_a_job_that_changed_keeps_its_place_in_filtered_listings() -> None:
    with Emulator(job_delays=JobDelays(queued=60.0, running=0.0), strict_isa=False) as emu:
        rt = RuntimeClient(
            api_key=emu.api_key, crn=emu.crn, base_url=emu.base_url, iam_url=emu.iam_url
        )
        with rt:
            older = rt.jobs.run_sampler("ibm_fez", [BELL_QASM], tags=["keep"])
            newer = rt.jobs.run_sampler("ibm_fez", [BELL_QASM], tags=["keep"])
            older.cancel()  # a status change: the store re-indexes the older job
            older.set_tags(["keep", "later"])  # and a tag change re-indexes it again
            listed = [job.id for job in rt.jobs.list(backend="ibm_fez")]
            assert listed == [newer.id, older.id]  # newest first
            assert [job.id for job in rt.jobs.list(tags=["keep"])] == [newer.id, older.id]
            newer.refresh()
            assert newer.created is not None
            before_newer = datetime.fromisoformat(newer.created.replace("Z", "+00:00"))
            early = rt.jobs.list(backend="ibm_fez", sort="ASC", created_before=before_newer)
            assert [job.id for job in early] == [older.id]
