"""Backends, instance, usage, accounts, workloads and analytics."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from emulator_helpers import SEED_QASM, Api
from qiskit_runtime_emulator import DEFAULT_ACCOUNT_ID, Emulator


def test_backends_list_device_objects(api: Api) -> None:
    devices = api.get("/backends").json()["devices"]
    names = [device["name"] for device in devices]
    assert names == ["ibm_fez", "ibm_pittsburgh", "ibm_emulator"]
    fez = devices[0]
    assert fez["qubits"] == 156
    assert fez["status"]["name"] == "online"
    assert fez["is_simulator"] is False
    assert fez["processor_type"]["family"] == "Heron"
    assert "wait_time_seconds" not in fez
    assert 0 < fez["performance_metrics"]["two_q_error_median"]["value"] < 0.05


def test_wait_times_are_opt_in(api: Api) -> None:
    devices = api.get("/backends", params={"fields": "wait_time_seconds"}).json()["devices"]
    assert set(devices[0]["wait_time_seconds"]) == {"average", "p50", "p95"}


def test_old_api_versions_get_the_list_of_names(api: Api) -> None:
    assert api.get("/backends", version="2024-01-01").json() == {
        "devices": ["ibm_fez", "ibm_pittsburgh", "ibm_emulator"]
    }
    # Without the header the oldest shape applies, as IBM documents.
    response = api.client.get("/backends", headers={**api.headers(), "IBM-API-Version": ""})
    assert response.status_code == 400
    bare = {k: v for k, v in api.headers().items() if k != "IBM-API-Version"}
    assert api.client.get("/backends", headers=bare).json()["devices"][0] == "ibm_fez"


def test_configuration_is_a_consistent_heavy_hex_device(api: Api) -> None:
    config = api.get("/backends/ibm_fez/configuration").json()
    assert config["backend_name"] == "ibm_fez"
    assert config["n_qubits"] == 156
    assert len(config["coords"]) == 156
    assert set(config["basis_gates"]) == {"cz", "id", "rz", "sx", "x"}
    edges = {tuple(edge) for edge in config["coupling_map"]}
    assert len(edges) == 2 * 176  # Heron r2: 176 couplers, listed in both directions
    assert all((b, a) in edges for a, b in edges)
    degree = [sum(1 for a, _ in edges if a == q) for q in range(156)]
    assert max(degree) == 3  # heavy-hex: no qubit has more than three neighbours
    cz = next(gate for gate in config["gates"] if gate["name"] == "cz")
    assert {tuple(pair) for pair in cz["coupling_map"]} == edges


def test_properties_cover_every_qubit_and_coupler(api: Api) -> None:
    props = api.get("/backends/ibm_emulator/properties").json()
    assert len(props["qubits"]) == 5
    names = {nduv["name"] for nduv in props["qubits"][0]}
    assert {"T1", "T2", "readout_error", "prob_meas0_prep1", "prob_meas1_prep0"} <= names
    cz = [gate for gate in props["gates"] if gate["gate"] == "cz"]
    assert len(cz) == 8  # 4 couplers of a 5-qubit line, both directions
    assert len(props["last_update_date"]) == 20


def test_the_same_documents_on_every_start(api: Api) -> None:
    with Emulator() as other, Api(other) as other_api:
        theirs = other_api.get("/backends/ibm_pittsburgh/properties").json()
    ours = api.get("/backends/ibm_pittsburgh/properties").json()
    assert [q[0]["value"] for q in theirs["qubits"]] == [q[0]["value"] for q in ours["qubits"]]


def test_status_and_defaults(api: Api) -> None:
    status = api.get("/backends/ibm_fez/status").json()
    assert status["state"] is True
    assert status["status"] == "active"
    assert status["length_queue"] >= 0
    defaults = api.get("/backends/ibm_fez/defaults").json()
    assert len(defaults["qubit_freq_est"]) == 156


@pytest.mark.parametrize("kind", ["configuration", "properties", "status", "defaults"])
def test_unknown_backend_is_404(api: Api, kind: str) -> None:
    response = api.get(f"/backends/ibm_nowhere/{kind}")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "1007"


def test_instance_and_its_limit(api: Api) -> None:
    instance = api.get("/instance").json()
    assert instance["backends"] == ["ibm_fez", "ibm_pittsburgh", "ibm_emulator"]
    assert isinstance(instance["usage_allocation_seconds"], str)
    assert api.get("/instances/configuration").json() == {}

    assert api.put("/instances/configuration", json={"instance_limit": 600}).status_code == 204
    assert api.get("/instances/configuration").json() == {"instance_limit": 600.0}
    assert api.get("/instance").json()["instance_limit_seconds"] == "600"
    assert api.put("/instances/configuration", json={"instance_limit": 0}).status_code == 400
    # InstanceConfigurationUpdate requires nothing: an empty update is accepted and changes nothing.
    assert api.put("/instances/configuration", json={}).status_code == 204
    assert api.get("/instances/configuration").json() == {"instance_limit": 600.0}
    assert api.put("/instances/configuration", json=[]).status_code == 400
    assert api.put("/instances/configuration", json={"instance_limit": 10**7}).status_code == 409
    assert api.put("/instances/configuration", json={"instance_limit": None}).status_code == 204
    assert api.get("/instances/configuration").json() == {}


def test_usage_counts_finished_jobs(api: Api) -> None:
    before = api.get("/instances/usage").json()["usage_consumed_seconds"]
    api.wait(api.submit("sampler", [[SEED_QASM, None, 100]]))
    usage = api.get("/instances/usage").json()
    assert usage["usage_consumed_seconds"] > before
    assert usage["instance_id"] == api.emulator.crn
    assert usage["usage_limit_reached"] is False
    assert usage["usage_period"]["start_time"] < usage["usage_period"]["end_time"]


def test_account_by_id_without_prefix(api: Api) -> None:
    account = api.get(f"/accounts/{DEFAULT_ACCOUNT_ID}").json()
    (plan,) = account["plans"]
    assert plan["max_ttl"] == 28800
    assert plan["backends"] == ["ibm_fez", "ibm_pittsburgh", "ibm_emulator"]
    assert api.get(f"/accounts/{DEFAULT_ACCOUNT_ID}", params={"plan_id": "x"}).json() == {
        "plans": []
    }
    assert api.get("/accounts/someone-else").status_code == 404
    assert api.get("/accounts/a%2Fslash").status_code in (400, 404)


def test_workloads_pages_with_cursors(api: Api) -> None:
    ids = [api.submit("sampler", [SEED_QASM], tags=["wl-page"]) for _ in range(3)]
    for job_id in ids:
        api.wait(job_id)

    seen: list[str] = []
    params: dict[str, str] = {"limit": "2", "tags": "wl-page"}
    page = api.get("/workloads", params=params).json()
    assert page["total_count"] == 3
    assert page["limit"] == 2
    assert "previous" not in page
    seen += [w["id"] for w in page["workloads"]]
    cursor = parse_qs(urlparse(page["next"]["href"]).query)["next"][0]
    page = api.get("/workloads", params={**params, "next": cursor}).json()
    seen += [w["id"] for w in page["workloads"]]
    assert "next" not in page
    assert "previous" in page
    assert seen == ids  # oldest first by default
    item = page["workloads"][0]
    assert item["mode"] == "job"
    assert item["status"] == "completed"
    assert item["accepting_jobs"] is None

    newest = api.get("/workloads", params={"tags": "wl-page", "sort": "-createdAt"}).json()
    assert [w["id"] for w in newest["workloads"]] == ids[::-1]
    assert api.get("/workloads", params={"limit": "51"}).status_code == 400
    assert api.get("/workloads", params={"next": "garbage"}).status_code == 400


def test_workloads_show_sessions_as_one_item(api: Api) -> None:
    session = api.post("/sessions", json={"mode": "batch", "backend": "ibm_fez"}).json()
    api.wait(api.submit("sampler", [SEED_QASM], session_id=session["id"], tags=["in-batch"]))
    found = api.get("/workloads", params={"mode": "batch", "search": session["id"]}).json()
    (item,) = found["workloads"]
    assert item["id"] == session["id"]
    assert item["tags"] == ["in-batch"]
    assert item["accepting_jobs"] is True
    assert (
        api.get("/workloads", params={"status": "failed", "search": session["id"]}).json()[
            "total_count"
        ]
        == 0
    )


def test_analytics(api: Api) -> None:
    api.wait(api.submit("estimator", [[SEED_QASM, "ZZ"]], backend="ibm_pittsburgh"))
    usage = api.get("/analytics/usage").json()
    assert usage["jobs"] >= 1
    assert usage["usage"] > 0

    grouped = api.get("/analytics/usage_grouped", params={"group_by": "backend"}).json()
    keys = [row["key"] for row in grouped["data"]]
    assert "ibm_pittsburgh" in keys
    assert api.get("/analytics/usage_grouped", params={"group_by": "colour"}).status_code == 400

    by_date = api.get("/analytics/usage_grouped_by_date", params={"group_by": "instance"}).json()
    assert len(by_date["data"]) >= 7
    assert sum(row["jobs"] for row in by_date["data"]) == usage["jobs"]
    bad = api.get("/analytics/usage_grouped_by_date", params={"group_by": "backend"})
    assert bad.status_code == 400
    assert isinstance(bad.json()["errors"][0]["code"], int)

    filters = api.get("/analytics/filters").json()
    assert {"name": "ibm_fez"} in filters["backends"]
    assert filters["instances"] == [{"id": api.emulator.crn, "deleted": False}]
    other = api.get("/analytics/usage", params={"instance": "crn:v1:other"}).json()
    assert other["jobs"] == 0
