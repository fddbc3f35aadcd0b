"""Jobs over real HTTP: lifecycle, results in both formats, failures, cancel, delete, listing."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from emulator_helpers import BELL_QASM, SEED_QASM, Api
from qiskit_runtime_emulator import Emulator, JobDelays


def test_seed_notebook_sampler_pubs_give_the_notebook_counts(api: Api) -> None:
    job, results = api.run("sampler", [[SEED_QASM], [SEED_QASM, None, 500]])

    assert job["state"]["status"] == "Completed"
    assert job["status"] == "Completed"
    assert len(results["results"]) == 2
    first, second = (r["data"]["c"] for r in results["results"])
    assert first["num_bits"] == 2
    assert len(first["samples"]) == 4096  # the sampler's default shots
    assert len(second["samples"]) == 500
    # x on $0 only: bit 0 set, bit 1 (idle qubit $1) clear, on every shot without noise.
    assert Counter(second["samples"]) == {"0x1": 500}
    assert results["metadata"]["version"] == 2
    spans = results["metadata"]["execution"]["execution_spans"]
    assert spans[0]["data_slices"]["1"] == [[500], 0, 1, 0, 500]


def test_seed_notebook_estimator_pub_gives_its_expectation_value(api: Api) -> None:
    job, results = api.run("estimator", [[SEED_QASM, {"II": 1, "ZZ": 2.3}, None, 0.01]])

    assert job["state"]["status"] == "Completed"
    (pub,) = results["results"]
    # <01| II + 2.3 ZZ |01> = 1 - 2.3, plus sampling noise of the requested precision.
    assert pub["data"]["evs"] == pytest.approx(-1.3, abs=0.06)
    assert pub["data"]["stds"] == 0.01
    assert pub["data"]["ensemble_standard_error"] == 0.01
    assert pub["metadata"] == {
        "shots": 10016,  # ceil(1/0.01^2) rounded up to 32 randomizations, as IBM reports
        "target_precision": 0.01,
        "circuit_metadata": {},
        "resilience": {},
        "num_randomizations": 32,
    }


def test_bell_circuit_samples_only_correlated_outcomes(api: Api) -> None:
    _, results = api.run("sampler", [[BELL_QASM, None, 400]])

    counts = Counter(results["results"][0]["data"]["meas"]["samples"])
    assert set(counts) == {"0x0", "0x3"}
    assert sum(counts.values()) == 400


def test_broadcast_pubs_keep_their_shape(api: Api) -> None:
    # RY(-theta) in the ISA (X.SX.RZ(theta).SX): |0> at 0, |1> at pi, as rx(theta) would be.
    qasm = (
        'OPENQASM 3.0; include "stdgates.inc"; input float[64] theta; bit[1] c; '
        "sx $0; rz(theta) $0; sx $0; x $0; c[0] = measure $0;"
    )
    _, sampled = api.run("sampler", [[qasm, {"theta": [0.0, 3.141592653589793]}, 8]])
    samples = sampled["results"][0]["data"]["c"]["samples"]
    assert samples == [["0x0"] * 8, ["0x1"] * 8]

    _, estimated = api.run(
        "estimator", [[qasm, [["Z"], ["X"]], {"theta": [0.0, 3.141592653589793, 1.5]}, 0.001]]
    )
    evs = estimated["results"][0]["data"]["evs"]
    assert [len(row) for row in evs] == [3, 3]
    assert evs[0][0] == pytest.approx(1.0, abs=0.01)
    assert evs[0][1] == pytest.approx(-1.0, abs=0.01)
    assert evs[1][0] == pytest.approx(0.0, abs=0.01)


def test_idle_qubits_of_wide_isa_circuits_are_dropped(api: Api) -> None:
    # Laid out on qubits 150 and 151 of a 156-qubit device: only two are simulated.
    qasm = (
        'OPENQASM 3.0; include "stdgates.inc"; bit[2] c; x $150; '
        "c[0] = measure $150; c[1] = measure $151;"
    )
    _, sampled = api.run("sampler", [[qasm, None, 10]])
    assert Counter(sampled["results"][0]["data"]["c"]["samples"]) == {"0x1": 10}

    # The circuit is as wide as its highest physical qubit; labels are little-endian.
    width = 152
    z_term = ["I"] * width
    z_term[width - 1 - 150] = z_term[width - 1 - 140] = "Z"
    observable = {"".join(z_term): 1.0, "X" * width: 5.0}
    _, estimated = api.run("estimator", [[qasm, observable, None, 0.0001]])
    # Z on qubit 150 (|1>) and on idle qubit 140 (|0>) gives -1; X on idle qubits gives 0.
    assert estimated["results"][0]["data"]["evs"] == pytest.approx(-1.0, abs=0.01)


def test_invalid_qasm_fails_the_job_with_a_reason_and_code(api: Api) -> None:
    job, results = api.run("sampler", ["OPENQASM 3.0; qubit[1] q; foo q[0];"])

    state = job["state"]
    assert state["status"] == "Failed"
    assert state["reason_code"] == 1002
    assert "foo" in state["reason"]
    assert state["reason_solution"]
    assert "foo" in results  # the error text is the failed job's "result"
    assert f"Error code {state['reason_code']}" in results


def test_a_pub_list_that_is_not_a_list_fails_the_job(api: Api) -> None:
    response = api.post(
        "/jobs",
        json={"program_id": "sampler", "backend": "ibm_fez", "params": {"pubs": "nope"}},
    )
    job = api.wait(response.json()["id"])
    assert job["state"]["status"] == "Failed"
    assert job["state"]["reason_code"] == 1002


def test_unemulated_programs_are_accepted_then_fail(api: Api) -> None:
    job = api.wait(api.submit("noise-learner", []))
    assert job["state"]["status"] == "Failed"
    assert "not emulated" in job["state"]["reason"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"backend": "ibm_fez", "params": {}}, 400),
        ({"program_id": "sampler", "params": {}}, 400),
        ({"program_id": "sampler", "backend": "ibm_nowhere", "params": {}}, 404),
        ({"program_id": "no-such-program", "backend": "ibm_fez", "params": {}}, 404),
        ({"program_id": "sampler", "backend": "ibm_fez", "tags": ["t"] * 9}, 400),
        ({"program_id": "sampler", "backend": "ibm_fez", "tags": ["x" * 87]}, 400),
    ],
)
def test_create_job_rejects_bad_envelopes(api: Api, body: dict[str, object], status: int) -> None:
    response = api.post("/jobs", json=body)
    assert response.status_code == status
    error = response.json()
    assert isinstance(error["trace"], str)
    assert isinstance(error["errors"][0]["code"], str)


def test_create_response_is_id_and_backend_only(api: Api) -> None:
    response = api.post(
        "/jobs",
        json={"program_id": "sampler", "backend": "ibm_fez", "params": {"pubs": [SEED_QASM]}},
    )
    assert response.status_code == 200
    assert set(response.json()) == {"id", "backend"}
    assert response.json()["backend"] == "ibm_fez"


def test_qiskit_encoded_results_when_support_qiskit(api: Api) -> None:
    decoder = pytest.importorskip("qiskit_ibm_runtime").RuntimeDecoder
    job = api.wait(api.submit("sampler", [[SEED_QASM, None, 20]], params={"support_qiskit": True}))
    text = api.get(f"/jobs/{job['id']}/results").text

    assert json.loads(text)["__type__"] == "PrimitiveResult"
    result = json.loads(text, cls=decoder)
    assert result[0].data.c.get_counts() == {"01": 20}


def test_params_come_back_unless_excluded(api: Api) -> None:
    job_id = api.submit("sampler", [SEED_QASM], tags=["keep"])
    full = api.get(f"/jobs/{job_id}").json()
    assert full["params"]["pubs"] == [SEED_QASM]
    assert full["tags"] == ["keep"]
    assert full["program"] == {"id": "sampler"}
    assert "params" not in api.get(f"/jobs/{job_id}", params={"exclude_params": "true"}).json()
    api.wait(job_id)


def test_private_jobs_hide_params_and_results_read_once(api: Api) -> None:
    response = api.post(
        "/jobs",
        json={
            "program_id": "sampler",
            "backend": "ibm_fez",
            "params": {"pubs": [SEED_QASM]},
            "private": True,
        },
    )
    assert response.json()["private"] is True
    job = api.wait(response.json()["id"])
    assert "params" not in job
    assert job["private"] is True
    assert api.get(f"/jobs/{job['id']}/results").status_code == 200
    assert api.get(f"/jobs/{job['id']}/results").status_code == 204


def test_unknown_job_is_404_with_code_1291(api: Api) -> None:
    for method, path in (
        ("GET", "/jobs/nope"),
        ("GET", "/jobs/nope/results"),
        ("GET", "/jobs/nope/logs"),
        ("GET", "/jobs/nope/metrics"),
        ("POST", "/jobs/nope/cancel"),
        ("DELETE", "/jobs/nope"),
    ):
        response = api.request(method, path)
        assert response.status_code == 404, path
        assert response.json()["errors"][0]["code"] == "1291"


def test_metrics_and_logs_of_a_finished_job(api: Api) -> None:
    job = api.wait(api.submit("sampler", [[SEED_QASM, None, 100]]))
    metrics = api.get(f"/jobs/{job['id']}/metrics").json()
    assert set(metrics["timestamps"]) == {"created", "running", "finished"}
    assert metrics["usage"]["status"] == "complete"
    assert metrics["usage"]["qpu_charge_time_seconds"] > 0
    assert metrics["qiskit_version"]

    logs = api.get(f"/jobs/{job['id']}/logs")
    assert logs.headers["content-type"].startswith("text/plain")
    assert "Job completed" in logs.text


def test_usage_and_metrics_shapes_follow_the_api_version(api: Api) -> None:
    job = api.wait(api.submit("sampler", [[SEED_QASM, None, 10]]))
    path = f"/jobs/{job['id']}"

    old = api.get(path, version="2025-05-01").json()
    assert set(old["usage"]) == {"quantum_seconds", "seconds"}
    assert "bss" in old
    current = api.get(path, version="2026-03-15").json()
    assert set(current["usage"]) == {"qpu_charge_time_seconds", "status"}
    assert "bss" not in current

    in_usage = api.get(f"{path}/metrics", version="2026-03-15").json()
    assert "circuits_execution_time_ns" in in_usage["usage"]
    at_root = api.get(f"{path}/metrics", version="2026-04-15").json()
    assert "circuits_execution_time_ns" in at_root
    assert "circuits_execution_time_ns" not in at_root["usage"]
    # A later date than any known version gets the newest shapes.
    assert "circuits_execution_time_ns" in api.get(f"{path}/metrics", version="2031-01-01").json()


def test_delete_only_final_jobs(api: Api) -> None:
    job = api.wait(api.submit("sampler", [SEED_QASM]))
    assert api.delete(f"/jobs/{job['id']}").status_code == 204
    assert api.get(f"/jobs/{job['id']}").status_code == 404


def test_cancel_of_a_finished_job_is_a_conflict(api: Api) -> None:
    job = api.wait(api.submit("sampler", [SEED_QASM]))
    response = api.post(f"/jobs/{job['id']}/cancel")
    assert response.status_code == 409


def test_replace_and_search_tags(api: Api) -> None:
    job_id = api.submit("sampler", [SEED_QASM], tags=["first"])
    assert api.put(f"/jobs/{job_id}/tags", json={"tags": ["alpha-emu", "beta"]}).status_code == 204
    assert api.get(f"/jobs/{job_id}").json()["tags"] == ["alpha-emu", "beta"]
    assert api.put(f"/jobs/{job_id}/tags", json={"tags": ["x"] * 9}).status_code == 400
    assert api.put(f"/jobs/{job_id}/tags", json={}).status_code == 400

    found = api.get("/tags", params={"type": "job", "search": "ALPHA"}).json()
    assert found == {"tags": ["alpha-emu"]}
    assert api.get("/tags", params={"type": "job", "search": "ab"}).status_code == 400
    assert api.put(f"/jobs/{job_id}/tags", json={"tags": []}).status_code == 204
    assert api.get(f"/jobs/{job_id}").json()["tags"] == []
    api.wait(job_id)


def test_list_jobs_filters_sorts_and_pages(api: Api) -> None:
    ids = [
        api.submit("sampler", [SEED_QASM], backend="ibm_pittsburgh", tags=["page"])
        for _ in range(3)
    ]
    for job_id in ids:
        api.wait(job_id)

    listed = api.get("/jobs", params={"backend": "ibm_pittsburgh", "tags": "page"}).json()
    assert [job["id"] for job in listed["jobs"]] == ids[::-1]  # newest first by default
    assert listed["count"] == 3
    assert all("params" not in job for job in listed["jobs"])  # excluded by default on lists

    ascending = api.get(
        "/jobs", params={"backend": "ibm_pittsburgh", "sort": "ASC", "limit": 2, "offset": 1}
    ).json()
    assert [job["id"] for job in ascending["jobs"]] == ids[1:]
    assert (ascending["limit"], ascending["offset"], ascending["count"]) == (2, 1, 3)

    # Out-of-range paging values are silently replaced by the defaults.
    defaulted = api.get("/jobs", params={"limit": 500, "offset": -3}).json()
    assert (defaulted["limit"], defaulted["offset"]) == (200, 0)

    assert (
        api.get("/jobs", params={"pending": "true", "backend": "ibm_pittsburgh"}).json()["jobs"]
        == []
    )
    assert api.get("/jobs", params={"program": "estimator", "tags": "page"}).json()["count"] == 0
    future = api.get("/jobs", params={"created_after": "2999-01-01T00:00:00Z"}).json()
    assert future["count"] == 0
    assert api.get("/jobs", params={"created_after": "yesterday"}).status_code == 400


@pytest.fixture
def slow_emulator() -> Iterator[Emulator]:
    with Emulator(job_delays=JobDelays(queued=0.4, running=0.4)) as emu:
        yield emu


def test_lifecycle_goes_through_queued_and_running(slow_emulator: Emulator) -> None:
    with Api(slow_emulator) as api:
        job_id = api.submit("sampler", [SEED_QASM])
        seen: list[str] = []
        deadline = time.monotonic() + 30
        while not seen or seen[-1] not in ("Completed", "Failed"):
            status = api.get(f"/jobs/{job_id}").json()["state"]["status"]
            if not seen or seen[-1] != status:
                seen.append(status)
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert seen == ["Queued", "Running", "Completed"]
        metrics = api.get(f"/jobs/{job_id}/metrics").json()
        assert metrics["timestamps"]["created"] < metrics["timestamps"]["running"]
        assert metrics["timestamps"]["running"] < metrics["timestamps"]["finished"]
        # While a job is not final its results do not exist yet.
        pending = api.submit("sampler", [SEED_QASM])
        assert api.get(f"/jobs/{pending}/results").status_code == 204
        assert api.delete(f"/jobs/{pending}").status_code == 400
        api.wait(pending)


def test_cancel_a_queued_job(slow_emulator: Emulator) -> None:
    with Api(slow_emulator) as api:
        job_id = api.submit("sampler", [SEED_QASM])
        assert api.post(f"/jobs/{job_id}/cancel").status_code == 204
        job = api.get(f"/jobs/{job_id}").json()
        assert job["state"]["status"] == "Cancelled"
        assert api.get(f"/jobs/{job_id}/results").status_code == 204
        time.sleep(0.5)  # the runner must not resurrect it
        assert api.get(f"/jobs/{job_id}").json()["state"]["status"] == "Cancelled"


def test_readout_noise_flips_some_bits() -> None:
    with Emulator(job_delays=0.0, readout_noise=True, seed=7) as emu, Api(emu) as api:
        _, results = api.run("sampler", [[SEED_QASM, None, 4000]], backend="ibm_emulator")
    counts = Counter(results["results"][0]["data"]["c"]["samples"])
    assert counts["0x1"] > 3000
    assert sum(v for k, v in counts.items() if k != "0x1") > 0


def test_the_emulator_seed_makes_equal_jobs_sample_equally(api: Api) -> None:
    # The module's emulator has seed=1234; the PUB itself names no seed.
    pub = ['OPENQASM 3.0; include "stdgates.inc"; bit[1] c; sx $0; c[0] = measure $0;', None, 64]
    _, first = api.run("sampler", [pub])
    _, second = api.run("sampler", [pub])
    samples = first["results"][0]["data"]["c"]["samples"]
    assert set(samples) == {"0x0", "0x1"}
    assert second["results"][0]["data"]["c"]["samples"] == samples


def test_max_qubits_bounds_what_a_job_may_simulate() -> None:
    with Emulator(job_delays=0.0, max_qubits=1) as emu, Api(emu) as api:
        job, _ = api.run("sampler", [BELL_QASM])
    assert job["state"]["status"] == "Failed"
    assert "simulates at most 1" in job["state"]["reason"]


def test_strict_isa_rejects_gates_outside_the_basis() -> None:
    qasm = 'OPENQASM 3.0; include "stdgates.inc"; bit[1] c; h $0; c[0] = measure $0;'
    with Emulator(job_delays=0.0, strict_isa=True) as emu, Api(emu) as api:
        job, _ = api.run("sampler", [qasm])
    assert job["state"]["status"] == "Failed"
    assert "not supported by the target" in job["state"]["reason"]


def test_rate_limit_is_five_jobs_a_minute_when_enabled() -> None:
    with Emulator(job_delays=0.0, rate_limit=True) as emu, Api(emu) as api:
        for _ in range(5):
            api.submit("sampler", [SEED_QASM])
        response = api.post(
            "/jobs", json={"program_id": "sampler", "backend": "ibm_fez", "params": {"pubs": []}}
        )
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.json()["errors"][0]["code"] == "1202"


def test_instance_limit_blocks_new_jobs_with_409(api: Api) -> None:
    api.wait(api.submit("sampler", [[SEED_QASM, None, 10]]))
    assert api.put("/instances/configuration", json={"instance_limit": 1}).status_code == 204
    try:
        response = api.post(
            "/jobs", json={"program_id": "sampler", "backend": "ibm_fez", "params": {"pubs": []}}
        )
        assert response.status_code == 409
    finally:
        api.put("/instances/configuration", json={"instance_limit": None})
