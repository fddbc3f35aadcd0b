"""Peak resident memory of one job, end to end, each client in a fresh interpreter: token,
submission, waiting, results, counts. The emulator runs in its own process (jobs finish within
a fraction of a second), so only the client's memory is counted: the interpreter's own high-water
mark, ``VmHWM`` (not ``ru_maxrss``, which on Linux also remembers the parent it was forked
from)."""

from __future__ import annotations

import subprocess
import sys
from functools import partial

from _emulator import EmulatorInfo, emulator_process
from _harness import Row, alternate

SHOTS = 4096
QASM = 'OPENQASM 3.0; include "stdgates.inc"; bit[2] c; x $0; c[0] = measure $0; c[1] = measure $1;'

_REPORT = """
with open("/proc/self/status") as status:
    print(next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:")))
"""

SCRIPTS = {
    "bare httpx": """
import time, json, sys
from collections import Counter
import httpx
base, iam, key, crn = sys.argv[1:5]
token = httpx.post(iam + "/identity/token", data={
    "grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": key}).json()["access_token"]
headers = {"Authorization": f"Bearer {token}", "Service-CRN": crn, "IBM-API-Version": "2026-03-15"}
with httpx.Client(base_url=base, headers=headers) as client:
    job = client.post("/v1/jobs", json={"program_id": "sampler", "backend": "ibm_fez",
        "params": {"pubs": [[QASM]], "shots": SHOTS, "version": 2}}).json()
    while client.get(f"/v1/jobs/{job['id']}").json()["status"] not in ("Completed", "Failed"):
        time.sleep(0.05)
    body = json.loads(client.get(f"/v1/jobs/{job['id']}/results").content)
    counts = Counter(int(x, 16) for x in body["results"][0]["data"]["c"]["samples"])
assert sum(counts.values()) == SHOTS
""",
    "qiskit-runtime-rest": """
import sys
from qiskit_runtime_rest import RuntimeClient
base, iam, key, crn = sys.argv[1:5]
with RuntimeClient(api_key=key, crn=crn, base_url=base, iam_url=iam) as rt:
    counts = rt.jobs.run_sampler("ibm_fez", [QASM], shots=SHOTS).result()[0].data.c.get_counts()
assert sum(counts.values()) == SHOTS
""",
    "qiskit-ibm-runtime": """
import os, sys, warnings, logging
warnings.simplefilter("ignore")
logging.disable(logging.WARNING)
base, iam, key, crn, experimental = sys.argv[1:6]
os.environ["IAM_URL"] = iam
os.environ["QISKIT_FUNCTIONS_EXPERIMENTAL"] = "1"
from qiskit import QuantumCircuit
from qiskit_ibm_runtime import QiskitRuntimeService, SamplerV2
service = QiskitRuntimeService(channel="ibm_cloud", token=key, instance=crn, url=experimental)
circuit = QuantumCircuit(2, 2)
circuit.x(0)
circuit.measure([0, 1], [0, 1])
job = SamplerV2(mode=service.backend("ibm_fez")).run([circuit], shots=SHOTS)
counts = job.result()[0].data.c.get_counts()
assert sum(counts.values()) == SHOTS
""",
}


def _peak_rss(name: str, emu: EmulatorInfo) -> float:
    script = f"QASM = {QASM!r}\nSHOTS = {SHOTS}\n" + SCRIPTS[name] + _REPORT
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            emu.base_url,
            emu.iam_url,
            emu.api_key,
            emu.crn,
            emu.experimental_url,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"{name} failed:\n{done.stderr[-2000:]}")
    return float(done.stdout.split()[-1])


def memory(*, rounds: int) -> list[Row]:
    with emulator_process(queued=0.05, running=0.05) as emu:
        values = alternate({name: partial(_peak_rss, name, emu) for name in SCRIPTS}, rounds)
    return [
        Row(
            "peak RSS, one job",
            f"{name}: {SHOTS:,}-shot sampler job, submit to counts",
            other,
            "B",
            values[name],
            values[other],
        )
        for name, other in (
            ("qiskit-runtime-rest", "bare httpx"),
            ("qiskit-runtime-rest", "qiskit-ibm-runtime"),
        )
    ]
