"""The classic-API migration table: one source (``_migration.MIGRATIONS``) for ``qrt migrate``
and the README, checked against IBM's guide (the seed, when beside this clone) and the spec."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from qiskit_runtime_rest._migration import MIGRATIONS, explain, lookup, markdown_table
from qiskit_runtime_rest._operations import OPERATIONS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SPEC = json.loads((ROOT / "generated" / "qiskit_runtime_api" / "openapi.json").read_text())
SPEC_OPERATIONS = {
    f"{method.upper()} {path}"
    for path, item in SPEC["paths"].items()
    for method in item
    if method in ("get", "put", "post", "delete", "patch")
}
SEED = next(
    (
        folder / "shared" / "seeds" / "000_4126f7432dbf3d2b.txt"
        for folder in (ROOT.parent, ROOT.parent.parent)  # a clone, or a worktree of one
        if (folder / "shared" / "seeds").is_dir()
    ),
    ROOT.parent / "shared" / "seeds" / "000_4126f7432dbf3d2b.txt",
)


def test_the_readme_table_is_the_generated_one() -> None:
    found = re.search(r"<!-- migration-table -->\n(.*?)\n<!-- /migration-table -->", README, re.S)
    assert found, "README lacks the migration table markers"
    assert found.group(1) == markdown_table(), "regenerate it: qrt migrate --markdown"


def test_every_replacement_is_an_operation_of_the_spec_and_of_the_facade() -> None:
    declared = {op for ops in OPERATIONS.values() for op in ops}
    for row in MIGRATIONS:
        assert set(row.new) <= SPEC_OPERATIONS, row
        assert set(row.new) <= declared, row
        assert bool(row.facade) == bool(row.new), row  # a facade call exactly when replaced


def test_routes_the_guide_names_but_the_spec_lacks_are_marked_removed() -> None:
    for row in MIGRATIONS:
        named = row.guide.split()[0]
        if named.startswith("/v1/") and not row.new:
            assert "no such route" in row.note or "removed" in row.note, row
            shaped = re.sub(r"\{[^}]*\}", "{id}", named)
            assert not any(op.endswith(f" {shaped}") for op in SPEC_OPERATIONS), row


@pytest.mark.skipif(not SEED.is_file(), reason="the seed migration guide is not beside this clone")
def test_every_row_of_the_guide_is_in_the_table() -> None:
    rows: list[tuple[str, str]] = []
    for line in SEED.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) < 3 or cells[0] not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            continue
        # A cell may hold several endpoints (separated by spaces or <br/>).
        for path in re.split(r"\s+|<br/>", cells[1].replace("\\", "").replace("`", "")):
            if path.startswith("/"):
                rows.append((cells[0], path.rstrip("*")))
    assert len(rows) >= 30
    table = {(row.method, row.classic) for row in MIGRATIONS}
    missing = [row for row in rows if row not in table]
    assert missing == []
    assert len(MIGRATIONS) == len(rows)


def test_lookup_accepts_templates_real_ids_and_urls() -> None:
    for path in (
        "/jobs/{id}/logs",
        "/jobs/{job_id}/logs",
        "/jobs/cq1ks0k7x9/logs",
        "https://api.quantum-computing.ibm.com/runtime/jobs/cq1ks0k7x9/logs/",
    ):
        assert [row.facade for row in lookup("get", path)] == ["job.logs()"], path
    assert [row.facade for row in lookup("GET", "/facade/v1/jobs/tags")] == ["rt.tags.search(text)"]
    assert len(lookup("GET", "/instances")) == 2


def test_explain() -> None:
    interim = explain("GET", "/jobs/{id}/interim_results")
    assert interim is not None
    assert interim.startswith("GET /jobs/{id}/interim_results -> removed, no replacement")
    assert "/v1/jobs/{id}/interim_results" in interim  # what the guide names, and why not
    health = explain("GET", "/health")
    assert health is not None and health.startswith("GET /health -> removed, no replacement")
    grouped = explain("GET", "/analytics/usage-grouped")
    assert grouped is not None and "GET /v1/analytics/usage_grouped" in grouped
    cloud = explain("GET", "/jobs/{id}/results")  # IBM Cloud API: same route under /v1
    assert cloud is not None and "GET /v1/jobs/{id}/results" in cloud and "Job.result" in cloud
    already = explain("POST", "/v1/sessions")
    assert already is not None and "already a route" in already
    assert explain("GET", "/no/such/thing") is None


_CONSOLE = re.compile(r"<!-- qrt -->\n```console\n(?P<body>.*?)```", re.S)


def test_the_readme_qrt_examples_print_what_they_show(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("qiskit_runtime_emulator._app", reason="needs the [local] extra")
    import shlex

    from qiskit_runtime_rest._cli import main

    blocks = [m["body"] for m in _CONSOLE.finditer(README)]
    assert blocks
    for body in blocks:
        command, _, expected = body.partition("\n")
        assert command.startswith("$ qrt ")
        assert main(shlex.split(command)[2:]) == 0
        assert capsys.readouterr().out == expected
