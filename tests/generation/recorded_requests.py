"""IBM's recorded request bodies, as the round-trip tests use them.

``recorded_requests.json`` (beside this file) is every JSON request body in the workspace's
``shared/reference/recorded/*.json`` (IBM's REST guides, values exactly as the notebooks show
them; see that folder's README), copied here so the tests run in any clone. ``collect`` rebuilds
it from that folder: ``python tests/generation/recorded_requests.py`` rewrites the copy, and a
test compares the two when the folder is beside the clone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
COPY = HERE / "recorded_requests.json"
SHARED = HERE.parents[2] / "shared" / "reference" / "recorded"


def collect(folder: Path) -> dict[str, Any]:
    """Each distinct (method, path, body): the request of an exchange, or the job submission a
    status/results step refers to (``job_request_body``, always ``POST /v1/jobs``)."""
    requests: list[dict[str, Any]] = []
    seen: set[str] = set()
    for path in sorted(folder.glob("*.json")):
        for exchange in json.loads(path.read_text(encoding="utf-8"))["exchanges"]:
            for field in ("request_body", "job_request_body"):
                body = exchange.get(field)
                if not isinstance(body, dict) or not body:  # the IAM form body is not JSON
                    continue
                if field == "request_body":
                    method, route = exchange["method"], exchange["path"]
                else:
                    method, route = "POST", "/v1/jobs"
                key = json.dumps([method, route, body], sort_keys=True)
                if key in seen:
                    continue
                seen.add(key)
                requests.append(
                    {
                        "file": path.name,
                        "step": exchange["step"],
                        "method": method,
                        "path": route,
                        "body": body,
                    }
                )
    return {
        "source": "shared/reference/recorded/*.json (IBM's REST guides, values as recorded)",
        "requests": requests,
    }


def load() -> list[dict[str, Any]]:
    requests: list[dict[str, Any]] = json.loads(COPY.read_text(encoding="utf-8"))["requests"]
    return requests


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else SHARED
    COPY.write_text(json.dumps(collect(folder), indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {COPY}")
