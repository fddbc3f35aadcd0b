"""The facade's operation table (``_operations.OPERATIONS``) against the spec and the facade.

The regeneration report trusts this table to say which facade methods a spec change touches; these
tests keep it honest statically. That no method sends a request it does not declare is checked
against the emulator in ``tests/integration/test_operations_declared.py``.
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from typing import Any

import pytest
import qiskit_runtime_rest
from core_helpers import FakeApi, make_async_client, make_client
from qiskit_runtime_rest._operations import (
    ASYNC_METHOD_NAMES,
    OPERATIONS,
    OTHER_HOST_OPERATIONS,
    RESOURCE_ATTRIBUTES,
)

ROOT = Path(__file__).resolve().parents[2]
SPEC = json.loads((ROOT / "generated" / "qiskit_runtime_api" / "openapi.json").read_text())
SPEC_OPERATIONS = {
    f"{method.upper()} {path}"
    for path, item in SPEC["paths"].items()
    for method in item
    if method in ("get", "put", "post", "delete", "patch")
}


def facade_classes(client: Any) -> dict[str, type]:
    """The classes the table's keys name, found from a live client (not from module paths, which
    may move)."""
    classes: dict[str, type] = {}
    for key in OPERATIONS:
        name = key.split(".")[0]
        if name in RESOURCE_ATTRIBUTES:
            classes[name] = type(getattr(client, RESOURCE_ATTRIBUTES[name]))
        elif name.endswith("RuntimeClient"):
            classes[name] = type(client)
        else:
            classes[name] = getattr(qiskit_runtime_rest, name)
    return classes


_CONTEXT_MANAGER = ("__enter__", "__exit__", "__aenter__", "__aexit__")


def public_methods(cls: type) -> set[str]:
    names = set()
    for name, value in inspect.getmembers(cls):
        if name.startswith("_") and name not in _CONTEXT_MANAGER:
            continue
        if name.startswith("__") and name not in vars(cls):  # inherited protocol methods
            continue
        if isinstance(inspect.getattr_static(cls, name), property) or not callable(value):
            continue
        names.add(name)
    return names


def test_every_declared_operation_is_in_the_spec() -> None:
    declared = {op for ops in OPERATIONS.values() for op in ops}
    assert declared - SPEC_OPERATIONS == set()
    for key, ops in OPERATIONS.items():
        assert re.fullmatch(r"[A-Z][A-Za-z]+\.[a-z_]+", key), key
        assert len(set(ops)) == len(ops), key


def test_the_facade_calls_every_operation_of_the_pinned_spec() -> None:
    # Not a rule for the future (IBM may add operations the facade has no use for), but true
    # today: the report's "facade: none" for an operation means it really is unwrapped.
    assert {op for ops in OPERATIONS.values() for op in ops} == SPEC_OPERATIONS


def test_every_public_method_is_declared_and_every_key_exists() -> None:
    classes = facade_classes(make_client(FakeApi()))
    declared = {key for key in OPERATIONS}
    found = {f"{name}.{method}" for name, cls in classes.items() for method in public_methods(cls)}
    assert found - declared == set(), "add these methods to _operations.OPERATIONS"
    assert declared - found == set(), "these table entries name no public method"


def test_the_async_twins_have_the_same_surface() -> None:
    sync = facade_classes(make_client(FakeApi()))
    twins = facade_classes(make_async_client(FakeApi()))
    for name, cls in sync.items():
        twin = twins.get(name) if name in RESOURCE_ATTRIBUTES else None
        twin = twin or getattr(qiskit_runtime_rest, f"Async{name}")
        expected = {ASYNC_METHOD_NAMES.get(f"{name}.{m}", m) for m in public_methods(cls)}
        assert public_methods(twin) == expected, name


EXAMPLES = {
    "Analytics.filters": ("GET /v1/analytics/filters",),
    # transpile=True reads the backend's two documents to build its Target
    "Jobs.run_estimator": (
        "POST /v1/jobs",
        "GET /v1/jobs",
        "GET /v1/backends/{id}/configuration",
        "GET /v1/backends/{id}/properties",
    ),
    "Session.__exit__": ("PATCH /v1/sessions/{id}",),
}


@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_examples_of_entries(key: str) -> None:
    assert OPERATIONS[key] == EXAMPLES[key]


def test_the_transpiler_service_is_declared_apart_from_the_api() -> None:
    # Another host, outside the pinned spec: no API operation in OPERATIONS, its routes apart.
    assert set(OTHER_HOST_OPERATIONS) == {k for k in OPERATIONS if k.startswith("Transpiler")}
    for key, routes in OTHER_HOST_OPERATIONS.items():
        assert OPERATIONS[key] == ()
        assert routes and all(
            re.fullmatch(r"(GET|POST) /transpile(/\{task_id\})?", r) for r in routes
        )
