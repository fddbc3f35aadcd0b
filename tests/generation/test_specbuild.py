"""Spec assembly, the JSONPath subset, the overlay engine and the change report."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import regenerate
from specbuild import (
    SpecError,
    apply_overlay,
    assemble_slices,
    change_report,
    format_report,
    jsonpath_find,
)

SHARED_SLICES = regenerate.ROOT.parent / "shared" / "openapi" / "reference"


def slice_doc(paths: dict[str, Any], schemas: dict[str, Any], title: str = "A") -> dict[str, Any]:
    return {
        "openapi": "3.0.0",
        "info": {"title": title, "version": "1.0"},
        "servers": [{"url": "https://x"}],
        "paths": paths,
        "components": {"schemas": schemas},
    }


def test_identical_duplicates_collapse() -> None:
    error = {"type": "object", "properties": {"trace": {"type": "string"}}}
    a = slice_doc({"/a": {"get": {"operationId": "a"}}}, {"Error": error}, title="A")
    b = slice_doc({"/b": {"get": {"operationId": "b"}}}, {"Error": copy.deepcopy(error)}, title="B")
    merged = assemble_slices([("a.yml", a), ("b.yml", b)])
    assert set(merged["paths"]) == {"/a", "/b"}
    assert merged["components"]["schemas"] == {"Error": error}


def test_a_conflicting_duplicate_is_an_error() -> None:
    a = slice_doc({}, {"Error": {"type": "object"}})
    b = slice_doc({}, {"Error": {"type": "string"}})
    with pytest.raises(
        SpecError, match=r"conflicting duplicate definition of components\.schemas\.Error"
    ):
        assemble_slices([("a.yml", a), ("b.yml", b)])


def test_conflicting_operations_are_an_error() -> None:
    a = slice_doc({"/a": {"get": {"operationId": "one"}}}, {})
    b = slice_doc({"/a": {"get": {"operationId": "two"}}}, {})
    with pytest.raises(SpecError, match="GET /a"):
        assemble_slices([("a.yml", a), ("b.yml", b)])


@pytest.mark.skipif(
    not SHARED_SLICES.is_dir(), reason="the shared slices are not beside this clone"
)
def test_the_pinned_spec_is_the_assembly_of_the_listed_slices() -> None:
    import assemble_spec

    assert assemble_spec.assemble(SHARED_SLICES) == regenerate.PINNED_SPEC.read_text()


def test_the_pinned_spec_has_all_thirty_operations() -> None:
    spec = json.loads(regenerate.PINNED_SPEC.read_text())
    assert spec["info"]["version"] == "0.45.3"
    assert sum(1 for _ in regenerate.operations(spec)) == 30


# --- JSONPath subset ----------------------------------------------------------------------------

DOC = {"a": {"b": [{"c": 1}, {"c": 2, "d": {"c": 3}}], "x y": {"c": 4}}}


@pytest.mark.parametrize(
    ("expression", "values"),
    [
        ("$.a.b[0].c", [1]),
        ("$.a.b[-1].c", [2]),
        ("$.a.b[*].c", [1, 2]),
        ("$.a['x y'].c", [4]),
        ("$..c", [1, 2, 3, 4]),
        ("$.a.*.c", [4]),
        ("$.nope", []),
    ],
)
def test_jsonpath_subset(expression: str, values: list[Any]) -> None:
    assert sorted(c[k] for c, k in jsonpath_find(DOC, expression)) == values


def test_jsonpath_rejects_what_it_cannot_parse() -> None:
    with pytest.raises(SpecError):
        jsonpath_find(DOC, "$.a[?(@.c)]")
    with pytest.raises(SpecError):
        jsonpath_find(DOC, "a.b")


# --- overlay engine -----------------------------------------------------------------------------


def overlay(*actions: dict[str, Any]) -> dict[str, Any]:
    return {"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": list(actions)}


def test_overlay_update_merges_remove_deletes_replace_replaces() -> None:
    doc = {"a": {"keep": 1, "list": [1]}, "b": {"old": True}, "c": [{"x": 1}, {"x": 2}]}
    result = apply_overlay(
        doc,
        overlay(
            {"target": "$.a", "description": "merge", "update": {"new": 2, "list": [2]}},
            {"target": "$.b", "description": "replace", "x-replace": True, "update": {"fresh": 1}},
            {"target": "$.c[*].x", "description": "remove", "remove": True},
        ),
    )
    assert result == {"a": {"keep": 1, "list": [1, 2], "new": 2}, "b": {"fresh": 1}, "c": [{}, {}]}
    assert doc["b"] == {"old": True}, "the input document must not be modified"


def test_overlay_actions_need_a_reason() -> None:
    with pytest.raises(SpecError, match="description"):
        apply_overlay({"a": 1}, overlay({"target": "$.a", "update": 2}))


def test_overlay_must_be_an_overlay() -> None:
    with pytest.raises(SpecError, match="Overlay"):
        apply_overlay({}, {"actions": []})


# --- change report ------------------------------------------------------------------------------


def test_change_report_for_a_synthetic_edit(final_spec: dict[str, Any]) -> None:
    new = copy.deepcopy(final_spec)
    new["paths"]["/v1/jobs/{id}/rerun"] = {
        "post": {"operationId": "rerun_job", "responses": {"204": {"description": "ok"}}}
    }
    del new["paths"]["/v1/tags"]
    limit = next(
        p for p in new["paths"]["/v1/jobs"]["get"]["parameters"] if p.get("name") == "limit"
    )
    limit["schema"] = {"type": "string"}
    new["components"]["schemas"]["JobState"]["properties"]["eta"] = {"type": "string"}
    new["components"]["schemas"]["Brand"] = {"type": "object"}
    del new["components"]["schemas"]["ListTagsResponse"]

    report = change_report(final_spec, new)
    assert report["operations_added"] == ["POST /v1/jobs/{id}/rerun"]
    assert report["operations_removed"] == ["GET /v1/tags"]
    assert report["models_added"] == ["Brand"]
    assert report["models_removed"] == ["ListTagsResponse"]
    assert report["models_changed"] == ["JobState"]
    changed = {entry["operation"]: entry for entry in report["operations_changed"]}
    assert changed["GET /v1/jobs"]["parameters"] == ["query:limit"]
    assert "parameters" in changed["GET /v1/jobs"]["changed"]
    # JobState is reached through JobResponseV3 / JobsResponse: those operations are flagged.
    assert "JobState" in changed["GET /v1/jobs/{id}"]["models_changed"]
    text = format_report(report)
    assert "operations added: 1\n  POST /v1/jobs/{id}/rerun" in text
    assert "GET /v1/jobs: parameters [query:limit]" in text


def test_change_report_of_identical_specs_is_empty(final_spec: dict[str, Any]) -> None:
    report = change_report(final_spec, copy.deepcopy(final_spec))
    assert not any(report[key] for key in report if key != "spec_version")


def test_check_against_an_edited_spec_names_the_stale_file(
    tmp_path: Path, generated_copy: Path
) -> None:
    import subprocess
    import sys

    spec = json.loads(regenerate.PINNED_SPEC.read_text())
    del spec["paths"]["/v1/tags"]
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    proc = subprocess.run(
        [
            sys.executable,
            str(regenerate.ROOT / "scripts" / "regenerate.py"),
            "--spec",
            str(path),
            "--output",
            str(generated_copy),
            "--check",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1  # --check: the copy does not match the edited spec
    assert "missing: api/tags/list_tags.py" not in proc.stderr
    assert "extra: api/tags/list_tags.py" in proc.stderr
