"""The change report's impact section: which facade methods, examples and tests stand on each
removed or changed operation and model, and the refusal to drop an operation the facade calls."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import impact
import pytest
import regenerate
from specbuild import change_report

SCRIPT = regenerate.ROOT / "scripts" / "regenerate.py"
TABLE = impact.load_operation_table(regenerate.ROOT)
FILTERS_TEST = "tests/facade_core/test_resources.py::" + (
    "test_analytics_send_repeated_filters_and_validate_group_by"
)


@pytest.fixture(scope="module")
def units() -> list[impact.Unit]:
    return impact.read_units(regenerate.ROOT)


def _impact(old: dict[str, Any], new: dict[str, Any], units: list[impact.Unit]) -> dict[str, Any]:
    report = change_report(old, new)
    return impact.impact(report, old, new, TABLE, regenerate.ROOT, units)


def _entry(entries: list[dict[str, Any]], key: str, value: str) -> dict[str, Any]:
    (found,) = [entry for entry in entries if entry[key] == value]
    return found


def test_a_removed_operation_names_the_facade_method_and_its_tests(
    final_spec: dict[str, Any], units: list[impact.Unit]
) -> None:
    new = copy.deepcopy(final_spec)
    del new["paths"]["/v1/analytics/filters"]
    section = _impact(final_spec, new, units)
    entry = _entry(section["operations"], "operation", "GET /v1/analytics/filters")
    assert entry["change"] == "removed"
    assert entry["facade"] == ["Analytics.filters"]
    assert FILTERS_TEST in entry["tests"]
    assert "tests/emulator/test_emu_catalog.py::test_analytics" in entry["tests"]  # by its path
    assert "tests/facade_core/test_resources.py::test_tags_search" not in entry["tests"]
    assert entry["examples"] == []
    assert section["breaking"] == [
        {"operation": "GET /v1/analytics/filters", "facade": ["Analytics.filters"]}
    ]
    text = impact.format_impact(section)
    assert "GET /v1/analytics/filters: removed -- BREAKING: the facade still calls it" in text
    assert "facade (1): Analytics.filters" in text


def test_a_changed_model_names_the_parsers_and_the_readme_example(
    final_spec: dict[str, Any], units: list[impact.Unit]
) -> None:
    new = copy.deepcopy(final_spec)
    new["components"]["schemas"]["BackendsResponse"]["properties"]["region"] = {"type": "string"}
    section = _impact(final_spec, new, units)
    model = _entry(section["models"], "model", "BackendsResponse")
    assert model["operations"] == ["GET /v1/backends"]
    assert model["facade"] == ["Backends.list"]
    # The README quickstart lists backends through the facade and through rt.raw, from a cassette.
    assert any(label.startswith("README.md:") and "Connect" in label for label in model["examples"])
    assert (
        "tests/facade_core/test_raw.py::test_raw_operation_is_authenticated_stamped_and_parsed"
        in (model["tests"])
    )
    assert _entry(section["operations"], "operation", "GET /v1/backends")["change"] == "changed"
    assert section["breaking"] == []


def test_a_renamed_path_parameter_is_not_breaking(
    final_spec: dict[str, Any], units: list[impact.Unit]
) -> None:
    new = copy.deepcopy(final_spec)
    item = new["paths"].pop("/v1/jobs/{id}/cancel")
    for param in item["post"].get("parameters", []):
        if param.get("name") == "id":
            param["name"] = "job_id"
    new["paths"]["/v1/jobs/{job_id}/cancel"] = item
    section = _impact(final_spec, new, units)
    assert section["breaking"] == []
    removed = _entry(section["operations"], "operation", "POST /v1/jobs/{id}/cancel")
    assert removed["facade"] == ["Job.cancel"]  # still reported, so the table gets updated


def test_no_change_means_no_impact(final_spec: dict[str, Any], units: list[impact.Unit]) -> None:
    section = _impact(final_spec, copy.deepcopy(final_spec), units)
    assert section == {"operations": [], "models": [], "breaking": []}
    assert "none: no removed or changed operation or model" in impact.format_impact(section)


def test_source_reading_respects_the_http_method() -> None:
    pattern = impact._path_pattern("/v1/jobs/{id}/tags")
    assert impact._mentions_path('api.put(f"/jobs/{job}/tags", json={})', "PUT", pattern)
    assert not impact._mentions_path('api.get(f"/jobs/{job}/tags")', "PUT", pattern)
    assert impact._mentions_path('api.on("PUT", "/v1/jobs/j-1/tags", 204)', "PUT", pattern)
    assert impact._mentions_path('URL = "https://h.test/api/v1/jobs/x/tags"', "PUT", pattern)
    assert not impact._mentions_path('"/v1/jobs/x/tags/more"', "PUT", pattern)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False
    )


def test_removing_an_operation_the_facade_uses_fails_without_allow_breaking(
    tmp_path: Path, generated_copy: Path
) -> None:
    spec = json.loads(regenerate.PINNED_SPEC.read_text())
    del spec["paths"]["/v1/analytics/filters"]
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    before = regenerate.read_tree(generated_copy)
    pinned, lock = regenerate.PINNED_SPEC.read_bytes(), regenerate.LOCK.read_bytes()

    refused = _run("--spec", str(path), "--output", str(generated_copy))
    assert refused.returncode == regenerate.EXIT_BREAKING == 3
    assert "GET /v1/analytics/filters: removed -- BREAKING" in refused.stdout
    assert "facade (1): Analytics.filters" in refused.stdout
    assert FILTERS_TEST in refused.stdout
    (error,) = refused.stderr.strip().splitlines()
    assert error.startswith("error: the new spec lacks 1 operation(s) the facade calls: ")
    assert "GET /v1/analytics/filters (Analytics.filters)" in error and "--allow-breaking" in error
    assert regenerate.read_tree(generated_copy) == before

    as_json = _run("--spec", str(path), "--output", str(generated_copy), "--json")
    assert as_json.returncode == 3
    report = json.loads(as_json.stdout)
    entry = _entry(report["impact"]["operations"], "operation", "GET /v1/analytics/filters")
    assert entry["facade"] == ["Analytics.filters"] and FILTERS_TEST in entry["tests"]
    assert report["impact"]["breaking"][0]["operation"] == "GET /v1/analytics/filters"

    allowed = _run("--spec", str(path), "--output", str(generated_copy), "--allow-breaking")
    assert allowed.returncode == 0, allowed.stderr
    assert not (generated_copy / "api" / "analytics" / "analytics_filters.py").exists()
    assert "warning: written with --allow-breaking" in allowed.stderr
    # Regenerating into another folder never touches the project's pin and lock.
    assert (regenerate.PINNED_SPEC.read_bytes(), regenerate.LOCK.read_bytes()) == (pinned, lock)
