#!/usr/bin/env python3
"""Assemble the pinned OpenAPI document from IBM's per-tag slices (a one-off, re-runnable step).

    python scripts/assemble_spec.py [--slices DIR] [--out openapi/qiskit-runtime-api.json]

Reads the slices listed in openapi/slices.json, checks their sha256, merges them (identical
duplicates collapse, conflicting ones are an error) and writes the pinned spec verbatim: no repair
happens here; repairs live in openapi/overlay.yaml and are applied by scripts/regenerate.py.
Once IBM's full document can be downloaded, pin that instead (regenerate.py --spec URL).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from specbuild import SpecError, assemble_slices, canonical_json, load_document, sha256_text

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SLICES = ROOT.parent / "shared" / "openapi" / "reference"
MANIFEST = ROOT / "openapi" / "slices.json"
DEFAULT_OUT = ROOT / "openapi" / "qiskit-runtime-api.json"


def assemble(slice_dir: Path, manifest: Path = MANIFEST) -> str:
    entries = json.loads(manifest.read_text(encoding="utf-8"))["slices"]
    docs = []
    for entry in entries:
        path = slice_dir / entry["file"]
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SpecError(f"cannot read slice {path}: {exc.strerror}") from exc
        if sha256_text(text) != entry["sha256"]:
            raise SpecError(f"slice {entry['file']} does not match its pinned sha256")
        docs.append((entry["file"], load_document(text, entry["file"])))
    return canonical_json(assemble_slices(docs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=Path, default=DEFAULT_SLICES)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    try:
        text = assemble(args.slices)
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
