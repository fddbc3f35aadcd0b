"""What a spec change means for this project, for scripts/regenerate.py's change report.

For every removed or changed operation and every changed or removed model it names the facade
methods, the README/docs examples and the tests that stand on it, and it lists the operations the
facade calls that the new spec no longer has (a breaking change: regenerate.py refuses it unless
``--allow-breaking``).

Facade methods come from the declared table ``facade/qiskit_runtime_rest/_operations.py`` (kept
true by tests, one of them against the emulator). Examples and tests are found by reading their
source, not by running them: a call of a facade method that uses the operation
(``rt.analytics.filters(``, ``job.cancel(``), the generated operation's module name
(``list_backends``), the operation's path in a string (``"/analytics/filters"``), or a cassette
that recorded it. Reading can over-report (``.status(`` is also a backend's status) and misses a
test that reaches the operation only through a helper in another file; the report says "may
depend" for that reason.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specbuild import operation_models, operations

__all__ = [
    "Unit",
    "format_impact",
    "impact",
    "load_operation_table",
    "normalize",
    "read_units",
]

OPERATIONS_FILE = Path("facade") / "qiskit_runtime_rest" / "_operations.py"
EXAMPLE_FILES = ("README.md", "docs/*.md")
TEST_FOLDER = "tests"
CASSETTE_FOLDER = "cassettes"
SHOWN_PER_LIST = 8  # the text report abbreviates long lists; --json has them all


@dataclass(frozen=True)
class OperationTable:
    operations: Mapping[str, tuple[str, ...]]  # "Class.method" -> ("METHOD /path", ...)
    resource_attributes: Mapping[str, str]  # "Backends" -> "backends"


@dataclass(frozen=True)
class Unit:
    """A piece of source that may depend on an operation: one example or one test (or the
    helpers of a test module, labelled with the file alone)."""

    kind: str  # "example" or "test"
    label: str
    text: str


def load_operation_table(root: Path) -> OperationTable:
    """The facade's table, loaded from the file alone (the package is not imported)."""
    path = root / OPERATIONS_FILE
    spec = importlib.util.spec_from_file_location("_qrr_operation_table", path)
    if spec is None or spec.loader is None:  # pragma: no cover - a missing file raises below
        raise FileNotFoundError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return OperationTable(dict(module.OPERATIONS), dict(module.RESOURCE_ATTRIBUTES))


def normalize(operation: str) -> str:
    """``GET /v1/jobs/{id}`` and ``GET /v1/jobs/{job_id}`` are the same route to a caller."""
    return re.sub(r"\{[^}]*\}", "{}", operation)


# --- reading the sources --------------------------------------------------------------------------

_FENCE = re.compile(r"^```python\n(?P<code>.*?)^```", re.S | re.M)
_HEADING = re.compile(r"^#+ (?P<title>.+)$", re.M)


def _example_units(root: Path) -> list[Unit]:
    units = []
    files = sorted({p for pattern in EXAMPLE_FILES for p in root.glob(pattern) if p.is_file()})
    for path in files:
        text = path.read_text(encoding="utf-8")
        for match in _FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            headings = list(_HEADING.finditer(text, 0, match.start()))
            where = f" ({headings[-1]['title'].strip()})" if headings else ""
            # The marker before the block names the cassette it replays.
            marker = text[max(0, match.start() - 200) : match.start()].rsplit("<!--", 1)
            cassette = "<!--" + marker[1] if len(marker) == 2 else ""
            label = f"{path.relative_to(root).as_posix()}:{line}{where}"
            units.append(Unit("example", label, cassette + match["code"]))
    return units


def _test_units(root: Path) -> list[Unit]:
    units = []
    for path in sorted((root / TEST_FOLDER).rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        relative = path.relative_to(root).as_posix()
        try:
            tree = ast.parse(source)
        except SyntaxError:
            units.append(Unit("test", relative, source))
            continue
        lines = source.splitlines(keepends=True)
        taken = [False] * len(lines)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "test_"
            ):
                first = min([d.lineno for d in node.decorator_list] + [node.lineno]) - 1
                last = node.end_lineno or node.lineno
                units.append(Unit("test", f"{relative}::{node.name}", "".join(lines[first:last])))
                for index in range(first, last):
                    taken[index] = True
        rest = "".join(line for line, used in zip(lines, taken, strict=True) if not used)
        units.append(Unit("test", relative, rest))
    return units


def read_units(root: Path) -> list[Unit]:
    """Every README/docs example and every test (and test module's helpers) under ``root``."""
    return _example_units(root) + _test_units(root)


def _cassette_requests(root: Path) -> dict[str, list[tuple[str, str]]]:
    """(method, URL path) of every interaction, per cassette file (relative to cassettes/)."""
    import yaml

    found: dict[str, list[tuple[str, str]]] = {}
    folder = root / CASSETTE_FOLDER
    for path in sorted(folder.rglob("*.yaml")) if folder.is_dir() else []:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError:
            continue
        requests = []
        for interaction in data.get("interactions", []) if isinstance(data, dict) else []:
            request = interaction.get("request", {}) if isinstance(interaction, dict) else {}
            uri = str(request.get("uri", ""))
            path_only = re.sub(r"^[a-z]+://[^/]+", "", uri).split("?", 1)[0]
            requests.append((str(request.get("method", "")).upper(), path_only))
        found[path.relative_to(folder).as_posix()] = requests
    return found


# --- what an operation looks like in source ------------------------------------------------------

_METHOD_HINT = re.compile(
    r"""(?:\b(?P<call>get|post|put|delete|patch)\s*\(\s*[fr]?$)"""
    r"""|(?:["'](?P<word>GET|POST|PUT|DELETE|PATCH)["']\s*,\s*[fr]?$)"""
)


def _path_pattern(path: str) -> re.Pattern[str]:
    """A quoted string naming the route: with or without the host, ``/api`` and ``/v1``, any
    value (or f-string field) in place of each path parameter."""
    tail = path.removeprefix("/v1")
    body = re.sub(r"\\\{[^}]*\\\}", r"""[^/"'\\s?]+""", re.escape(tail))
    return re.compile(r"""["'](?:https?://[^/"'\s]+)?(?:/api)?(?:/v1)?""" + body + r"""(?=["'?])""")


def _mentions_path(text: str, method: str, pattern: re.Pattern[str]) -> bool:
    for match in pattern.finditer(text):
        start = text.rfind("\n", 0, match.start()) + 1
        hint = _METHOD_HINT.search(text[start : match.start()])
        named = (hint["call"] or hint["word"] or "").upper() if hint else ""
        if not named or named == method:
            return True
    return False


def _call_pattern(key: str, table: OperationTable) -> re.Pattern[str] | None:
    owner, method = key.split(".")
    if method == "__exit__":  # a with block around whatever opens it
        return re.compile(r"\bwith\b[^\n]*\.(?:session|batch|open)\(")
    if method.startswith("__"):
        return None
    attribute = table.resource_attributes.get(owner)
    prefix = rf"\.{re.escape(attribute)}" if attribute else ""
    return re.compile(rf"{prefix}\.{re.escape(method)}\(")


@dataclass(frozen=True)
class _Probe:
    operation: str
    facade: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    path_pattern: re.Pattern[str]
    cassettes: tuple[str, ...]

    def matches(self, unit: Unit) -> bool:
        if any(p.search(unit.text) for p in self.patterns):
            return True
        if any(name in unit.text for name in self.cassettes):
            return True
        return _mentions_path(unit.text, self.operation.split(" ", 1)[0], self.path_pattern)


def _operation_ids(documents: Iterable[dict[str, Any]], operation: str) -> set[str]:
    ids = set()
    for document in documents:
        for method, path, op in operations(document):
            if normalize(f"{method.upper()} {path}") == normalize(operation):
                op_id = op.get("operationId")
                if isinstance(op_id, str) and op_id:
                    ids.add(op_id)
    return ids


def _probe(
    operation: str,
    table: OperationTable,
    documents: list[dict[str, Any]],
    cassettes: Mapping[str, list[tuple[str, str]]],
) -> _Probe:
    key = normalize(operation)
    facade = tuple(
        sorted(name for name, ops in table.operations.items() if key in map(normalize, ops))
    )
    patterns = [p for name in facade if (p := _call_pattern(name, table)) is not None]
    patterns += [
        re.compile(rf"\b{re.escape(op_id)}\b")
        for op_id in sorted(_operation_ids(documents, operation))
    ]
    method, path = operation.split(" ", 1)
    route = re.compile("^(?:/api)?" + re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(path)) + "$")
    recorded = tuple(
        sorted(
            name
            for name, requests in cassettes.items()
            if any(m == method and route.match(p) for m, p in requests)
        )
    )
    return _Probe(operation, facade, tuple(patterns), _path_pattern(path), recorded)


def _dependents(probe: _Probe, units: list[Unit]) -> dict[str, list[str]]:
    hits = [unit for unit in units if probe.matches(unit)]
    return {
        "facade": list(probe.facade),
        "examples": [u.label for u in hits if u.kind == "example"],
        "tests": [u.label for u in hits if u.kind == "test"],
    }


# --- the impact section of the change report -----------------------------------------------------


def impact(
    report: Mapping[str, Any],
    old: dict[str, Any] | None,
    new: dict[str, Any],
    table: OperationTable,
    root: Path,
    units: list[Unit] | None = None,
) -> dict[str, Any]:
    """The ``impact`` section: per removed/changed operation and changed/removed model, who stands
    on it; and ``breaking``: operations the facade calls that ``new`` does not have."""
    documents = [d for d in (old, new) if d is not None]
    units = read_units(root) if units is None else units
    cassettes = _cassette_requests(root)
    probes: dict[str, _Probe] = {}

    def probe(operation: str) -> _Probe:
        if operation not in probes:
            probes[operation] = _probe(operation, table, documents, cassettes)
        return probes[operation]

    affected: list[dict[str, Any]] = []
    for operation in report.get("operations_removed", []):
        affected.append(
            {"operation": operation, "change": "removed", **_dependents(probe(operation), units)}
        )
    for entry in report.get("operations_changed", []):
        operation = entry["operation"]
        affected.append(
            {"operation": operation, "change": "changed", **_dependents(probe(operation), units)}
        )

    users: dict[str, set[str]] = {}
    for document in documents:
        for operation, models in operation_models(document).items():
            for model in models:
                users.setdefault(model, set()).add(operation)
    model_entries: list[dict[str, Any]] = []
    for change, names in (
        ("changed", report.get("models_changed", [])),
        ("removed", report.get("models_removed", [])),
    ):
        for model in names:
            ops = sorted(users.get(model, set()))
            merged: dict[str, list[str]] = {"facade": [], "examples": [], "tests": []}
            for operation in ops:
                for kind, labels in _dependents(probe(operation), units).items():
                    merged[kind] += [label for label in labels if label not in merged[kind]]
            model_entries.append({"model": model, "change": change, "operations": ops, **merged})

    available = {normalize(f"{m.upper()} {p}") for m, p, _ in operations(new)}
    breaking = [
        {"operation": operation, "facade": list(probe(operation).facade)}
        for operation in sorted({op for ops in table.operations.values() for op in ops})
        if normalize(operation) not in available
    ]
    return {"operations": affected, "models": model_entries, "breaking": breaking}


def _listing(title: str, items: list[str], indent: str) -> str:
    if not items:
        return f"{indent}{title}: none"
    shown = ", ".join(items[:SHOWN_PER_LIST])
    more = f", and {len(items) - SHOWN_PER_LIST} more" if len(items) > SHOWN_PER_LIST else ""
    return f"{indent}{title} ({len(items)}): {shown}{more}"


def format_impact(section: Mapping[str, Any]) -> str:
    lines = [
        "impact on this project (facade methods as declared in "
        "facade/qiskit_runtime_rest/_operations.py, with their async twins; examples and tests "
        "that may depend, found by reading their source):"
    ]
    breaking = {entry["operation"] for entry in section["breaking"]}
    if not section["operations"] and not section["models"] and not breaking:
        lines.append("  none: no removed or changed operation or model")
    for entry in section["operations"]:
        flag = " -- BREAKING: the facade still calls it" if entry["operation"] in breaking else ""
        lines.append(f"  {entry['operation']}: {entry['change']}{flag}")
        lines.append(_listing("facade", entry["facade"], "    "))
        lines.append(_listing("examples", entry["examples"], "    "))
        lines.append(_listing("tests", entry["tests"], "    "))
    for entry in section["models"]:
        used = ", ".join(entry["operations"]) or "no operation"
        lines.append(f"  model {entry['model']}: {entry['change']} (in {used})")
        lines.append(_listing("facade", entry["facade"], "    "))
        lines.append(_listing("examples", entry["examples"], "    "))
        lines.append(_listing("tests", entry["tests"], "    "))
    listed = {entry["operation"] for entry in section["operations"]}
    for entry in section["breaking"]:
        if entry["operation"] not in listed:  # already absent before this regeneration
            facade = ", ".join(entry["facade"])
            lines.append(f"  {entry['operation']}: not in the spec -- BREAKING: {facade} call it")
    return "\n".join(lines)
