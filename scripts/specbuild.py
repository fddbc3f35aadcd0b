"""Spec plumbing for scripts/regenerate.py: assemble slices, apply the overlay, validate, diff.

Kept apart from the command-line script so each step is importable and testable on its own.
Everything here works on plain JSON-like data (dicts, lists, str, numbers) and is deterministic:
the same inputs always give byte-identical outputs.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

__all__ = [
    "HTTP_METHODS",
    "SpecError",
    "apply_overlay",
    "assemble_slices",
    "canonical_json",
    "change_report",
    "format_report",
    "jsonpath_find",
    "load_document",
    "operation_models",
    "operations",
    "sha256_text",
    "validate_openapi",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class SpecError(Exception):
    """Bad input: the message is one line, fit to print as it is."""


def canonical_json(data: Any) -> str:
    """The one serialisation used for every file we write: stable key order, UTF-8, newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_document(text: str, source: str) -> dict[str, Any]:
    """Parse JSON or YAML text into a dict, or raise SpecError naming the source."""
    try:
        data = json.loads(text)
    except ValueError:
        try:
            import yaml
        except ImportError as exc:  # pragma: no cover - yaml is in the dev extra
            raise SpecError(
                f"{source}: not JSON, and PyYAML is not installed to read YAML"
            ) from exc
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise SpecError(f"{source}: neither JSON nor YAML ({exc.__class__.__name__})") from exc
    if not isinstance(data, dict) or "openapi" not in data or "paths" not in data:
        raise SpecError(f"{source}: not an OpenAPI document (no 'openapi' and 'paths' keys)")
    if not str(data["openapi"]).startswith("3.0"):
        raise SpecError(f"{source}: OpenAPI {data['openapi']} is not supported (need 3.0.x)")
    return data


# --- assembling per-tag slices -----------------------------------------------------------------


def _merge_into(target: dict[str, Any], key: str, value: Any, where: str) -> None:
    if key not in target:
        target[key] = copy.deepcopy(value)
    elif target[key] != value:
        raise SpecError(f"conflicting duplicate definition of {where}")


def assemble_slices(slices: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Merge per-tag OpenAPI slices into one document.

    Paths, operations and component entries that appear in several slices must be identical
    (they then collapse into one); a conflicting duplicate is an error, never a silent pick.
    ``info`` is rewritten per slice by the third party, so only ``info.version`` must agree.
    """
    if not slices:
        raise SpecError("no slices to assemble")
    versions = {name: doc.get("info", {}).get("version") for name, doc in slices}
    if len(set(versions.values())) != 1:
        raise SpecError(f"slices disagree on info.version: {versions}")
    first = slices[0][1]
    merged: dict[str, Any] = {
        "openapi": first["openapi"],
        "info": {
            "title": "Qiskit Runtime API",
            "version": next(iter(versions.values())),
            "description": "IBM Quantum Qiskit Runtime REST API, assembled from per-tag slices "
            "(see openapi/PROVENANCE.md).",
        },
        "servers": copy.deepcopy(first.get("servers", [])),
        "paths": {},
        "components": {},
    }
    tags: dict[str, Any] = {}
    for name, doc in slices:
        if doc.get("servers", []) != merged["servers"]:
            raise SpecError(f"{name}: servers differ from the first slice")
        if "security" in doc:
            _merge_into(merged, "security", doc["security"], f"security ({name})")
        for tag in doc.get("tags", []):
            _merge_into(tags, tag["name"], tag, f"tag {tag['name']!r} ({name})")
        for path, item in doc.get("paths", {}).items():
            target = merged["paths"].setdefault(path, {})
            for key, value in item.items():
                _merge_into(target, key, value, f"{key.upper()} {path} ({name})")
        for section, entries in doc.get("components", {}).items():
            target = merged["components"].setdefault(section, {})
            for key, value in entries.items():
                _merge_into(target, key, value, f"components.{section}.{key} ({name})")
    merged["tags"] = [tags[name] for name in sorted(tags)]
    return merged


# --- a JSONPath subset for overlay targets ------------------------------------------------------

_TOKEN = re.compile(
    r"""\.\.(?P<rec>[A-Za-z_$][\w$-]*|\*)      # ..name  or ..*
      | \.(?P<dot>[A-Za-z_$][\w$-]*|\*)        # .name   or .*
      | \[\s*(?P<quoted>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*\]   # ['name']
      | \[\s*(?P<index>-?\d+)\s*\]             # [0]
      | \[\s*\*\s*\](?P<star>)                 # [*]
    """,
    re.VERBOSE,
)

Location = tuple[Any, Any]  # (container, key-or-index) of a matched node


def _parse_path(expression: str) -> list[tuple[str, Any]]:
    if not expression.startswith("$"):
        raise SpecError(f"overlay target {expression!r} must start with '$'")
    steps: list[tuple[str, Any]] = []
    pos = 1
    while pos < len(expression):
        match = _TOKEN.match(expression, pos)
        if not match:
            raise SpecError(f"overlay target {expression!r}: cannot parse at {expression[pos:]!r}")
        if match.group("rec") is not None:
            steps.append(("recursive", match.group("rec")))
        elif match.group("dot") is not None:
            name = match.group("dot")
            steps.append(("wild", None) if name == "*" else ("key", name))
        elif match.group("quoted") is not None:
            steps.append(("key", json.loads('"' + match.group("quoted")[1:-1] + '"')))
        elif match.group("index") is not None:
            steps.append(("index", int(match.group("index"))))
        else:
            steps.append(("wild", None))
        pos = match.end()
    return steps


def _children(node: Any) -> Iterator[Location]:
    if isinstance(node, dict):
        for key in node:
            yield node, key
    elif isinstance(node, list):
        for index in range(len(node)):
            yield node, index


def _descendants(node: Any) -> Iterator[Location]:
    for container, key in _children(node):
        yield container, key
        yield from _descendants(container[key])


def jsonpath_find(document: Any, expression: str) -> list[Location]:
    """Locations matched by a JSONPath expression (RFC 9535 subset: names, quoted names,
    indices, ``*`` and ``..name`` descendants; no filters). ``$`` alone matches the root."""
    steps = _parse_path(expression)
    current: list[Location] = [({"$": document}, "$")]
    for kind, arg in steps:
        found: list[Location] = []
        for container, key in current:
            node = container[key]
            if kind == "key" and isinstance(node, dict) and arg in node:
                found.append((node, arg))
            elif kind == "index" and isinstance(node, list) and -len(node) <= arg < len(node):
                found.append((node, arg % len(node)))
            elif kind == "wild":
                found.extend(_children(node))
            elif kind == "recursive":
                for sub_container, sub_key in _descendants(node):
                    if arg == "*" or (isinstance(sub_container, dict) and sub_key == arg):
                        found.append((sub_container, sub_key))
        current = found
    return current


# --- OpenAPI Overlay 1.0 ------------------------------------------------------------------------


def _deep_update(target: Any, update: Any) -> Any:
    """Overlay 1.0 merge: objects merge recursively, arrays append, anything else replaces."""
    if isinstance(target, dict) and isinstance(update, dict):
        for key, value in update.items():
            target[key] = (
                _deep_update(target[key], value) if key in target else copy.deepcopy(value)
            )
        return target
    if isinstance(target, list) and isinstance(update, list):
        target.extend(copy.deepcopy(update))
        return target
    return copy.deepcopy(update)


def apply_overlay(document: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """Apply an OpenAPI Overlay 1.0 document to a copy of ``document``.

    Beyond the standard, every action must carry a ``description`` (the one-line reason) and
    must match at least one node: a repair whose target has vanished means IBM changed the spec
    and the overlay needs a human, so it fails loudly instead of silently doing nothing.
    ``x-replace: true`` replaces the target with ``update`` instead of merging into it.
    """
    if not str(overlay.get("overlay", "")).startswith("1."):
        raise SpecError("overlay: not an OpenAPI Overlay 1.x document (missing 'overlay: 1.0.0')")
    result = copy.deepcopy(document)
    for number, action in enumerate(overlay.get("actions", []), start=1):
        target = action.get("target")
        reason = action.get("description")
        if not target or not reason:
            raise SpecError(f"overlay action {number}: needs both 'target' and 'description'")
        locations = jsonpath_find(result, target)
        if not locations:
            raise SpecError(f"overlay action {number} ({reason}): target {target} matches nothing")
        if action.get("remove"):
            # Delete from the end so list indices stay valid.
            for container, key in sorted(
                locations, key=lambda loc: loc[1] if isinstance(loc[1], int) else 0, reverse=True
            ):
                del container[key]
            continue
        if "update" not in action:
            raise SpecError(f"overlay action {number} ({reason}): needs 'update' or 'remove'")
        for container, key in locations:
            if action.get("x-replace"):
                container[key] = copy.deepcopy(action["update"])
            else:
                container[key] = _deep_update(container[key], action["update"])
    return result


# --- validation ---------------------------------------------------------------------------------


def validate_openapi(document: dict[str, Any]) -> None:
    """Refuse duplicate operationIds, then validate against the OpenAPI 3.0 schema with
    openapi-spec-validator (which also resolves every $ref); raise SpecError on the first
    problem."""
    seen: dict[str, str] = {}
    for method, path, op in operations(document):
        op_id = op.get("operationId") if isinstance(op, dict) else None
        if not op_id:
            raise SpecError(f"{method.upper()} {path} has no operationId")
        if op_id in seen:
            raise SpecError(
                f"duplicate operationId {op_id!r}: {seen[op_id]} and {method.upper()} {path}"
            )
        seen[op_id] = f"{method.upper()} {path}"

    from openapi_spec_validator import OpenAPIV30SpecValidator

    try:
        errors = list(OpenAPIV30SpecValidator(document).iter_errors())
    except Exception as exc:  # the validator itself trips over some malformed documents
        raise SpecError(f"invalid OpenAPI: {exc.__class__.__name__}: {exc}") from exc
    if errors:
        first = errors[0]
        where = "/".join(str(part) for part in getattr(first, "absolute_path", []) or [])
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        raise SpecError(f"invalid OpenAPI at {where or '<root>'}: {first.message}{more}")


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path in sorted(document.get("paths", {})):
        item = document["paths"][path]
        for method in HTTP_METHODS:
            if method in item:
                yield method, path, item[method]


# --- change report ------------------------------------------------------------------------------


def _resolve(document: dict[str, Any], node: Any) -> Any:
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            break
        target: Any = document
        for part in ref[2:].split("/"):
            target = target.get(part.replace("~1", "/").replace("~0", "~"), {})
        node = target
        seen += 1
    return node


def _operation_summary(
    document: dict[str, Any], item: dict[str, Any], op: dict[str, Any]
) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for raw in [*item.get("parameters", []), *op.get("parameters", [])]:
        param = _resolve(document, raw)
        key = f"{param.get('in')}:{param.get('name')}"
        params[key] = {"required": bool(param.get("required")), "schema": param.get("schema")}
    body = op.get("requestBody")
    responses = {
        str(status): {
            media: value.get("schema")
            for media, value in sorted(_resolve(document, resp).get("content", {}).items())
        }
        for status, resp in sorted(op.get("responses", {}).items())
    }
    return {
        "operationId": op.get("operationId"),
        "parameters": params,
        "requestBody": (
            {
                media: v.get("schema")
                for media, v in _resolve(document, body).get("content", {}).items()
            }
            if body
            else None
        ),
        "responses": responses,
    }


def _referenced_schemas(document: dict[str, Any], node: Any, into: set[str]) -> set[str]:
    """Names of component schemas reachable from ``node`` (so a change inside a referenced
    model shows up as a change of every operation that uses it)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in into:
                    into.add(name)
                    stack.append(document.get("components", {}).get("schemas", {}).get(name))
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return into


def operation_models(document: dict[str, Any]) -> dict[str, set[str]]:
    """Per ``METHOD path``, the component schemas its parameters, body and responses reach."""
    found = {}
    for method, path, op in operations(document):
        summary = _operation_summary(document, document["paths"][path], op)
        found[f"{method.upper()} {path}"] = _referenced_schemas(document, summary, set())
    return found


def change_report(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """What changed between two OpenAPI documents, keyed by ``METHOD path`` (operationIds churn)."""
    old = old or {"paths": {}, "components": {"schemas": {}}}

    def index(doc: dict[str, Any]) -> dict[str, tuple[dict[str, Any], set[str]]]:
        out = {}
        for method, path, op in operations(doc):
            summary = _operation_summary(doc, doc["paths"][path], op)
            out[f"{method.upper()} {path}"] = (summary, _referenced_schemas(doc, summary, set()))
        return out

    before, after = index(old), index(new)
    old_schemas = old.get("components", {}).get("schemas", {})
    new_schemas = new.get("components", {}).get("schemas", {})
    changed_schemas = {
        n for n in set(old_schemas) & set(new_schemas) if old_schemas[n] != new_schemas[n]
    }
    changed_ops = []
    for key in sorted(set(before) & set(after)):
        (old_sum, old_refs), (new_sum, new_refs) = before[key], after[key]
        aspects = [
            aspect
            for aspect in ("operationId", "parameters", "requestBody", "responses")
            if old_sum[aspect] != new_sum[aspect]
        ]
        param_changes = sorted(
            name
            for name in set(old_sum["parameters"]) | set(new_sum["parameters"])
            if old_sum["parameters"].get(name) != new_sum["parameters"].get(name)
        )
        models = sorted((old_refs | new_refs) & changed_schemas)
        if aspects or models:
            entry: dict[str, Any] = {"operation": key, "changed": aspects}
            if param_changes:
                entry["parameters"] = param_changes
            if models:
                entry["models_changed"] = models
            if "operationId" in aspects:
                entry["operationId"] = [old_sum["operationId"], new_sum["operationId"]]
            changed_ops.append(entry)
    return {
        "spec_version": [old.get("info", {}).get("version"), new.get("info", {}).get("version")],
        "operations_added": sorted(set(after) - set(before)),
        "operations_removed": sorted(set(before) - set(after)),
        "operations_changed": changed_ops,
        "models_added": sorted(set(new_schemas) - set(old_schemas)),
        "models_removed": sorted(set(old_schemas) - set(new_schemas)),
        "models_changed": sorted(changed_schemas),
    }


def format_report(report: dict[str, Any]) -> str:
    lines = [f"spec version: {report['spec_version'][0]} -> {report['spec_version'][1]}"]
    sections = (
        ("operations added", report["operations_added"]),
        ("operations removed", report["operations_removed"]),
        ("models added", report["models_added"]),
        ("models removed", report["models_removed"]),
        ("models changed", report["models_changed"]),
    )
    for title, items in sections:
        lines.append(f"{title}: {len(items)}")
        lines.extend(f"  {item}" for item in items)
    lines.append(f"operations changed: {len(report['operations_changed'])}")
    for entry in report["operations_changed"]:
        parts = []
        if entry["changed"]:
            detail = ", ".join(entry["changed"])
            if entry.get("parameters"):
                detail += f" [{', '.join(entry['parameters'])}]"
            parts.append(detail)
        if entry.get("models_changed"):
            parts.append(f"models {', '.join(entry['models_changed'])}")
        lines.append(f"  {entry['operation']}: {'; '.join(parts)}")
    return "\n".join(lines)
