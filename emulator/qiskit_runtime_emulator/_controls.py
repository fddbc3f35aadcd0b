"""The emulator's own HTTP controls under ``/emulator``: journal, scenarios, faults, reset.

IBM's API has nothing under this prefix, so a test written in any language can drive the same
scenarios the Python ``Emulator`` object offers: read or clear the request journal, make jobs
fail, pause a device, expire sessions, consume the usage limit, cap pending jobs, inject faults,
or reset everything between two tests. No credentials are needed: the emulator is a local test
server (it binds 127.0.0.1 unless told otherwise).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ._config import Faults, JobDelays, JobFailure
from ._service import EmulatorService

__all__ = ["CONTROL_PREFIX", "control_routes"]

CONTROL_PREFIX = "/emulator"


class _BadControl(ValueError):
    pass


async def _object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        raise _BadControl("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise _BadControl("the body must be a JSON object")
    return body


def _build(cls: type[Any], fields: dict[str, Any]) -> Any:
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise _BadControl(
            f"unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    try:
        return cls(**fields)
    except (TypeError, ValueError) as exc:
        raise _BadControl(str(exc)) from None


def control_routes(service: EmulatorService) -> list[Route]:
    def handle(work: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                answer = await work(request)
            except (_BadControl, ValueError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            except LookupError as exc:
                return JSONResponse({"error": str(exc)}, status_code=404)
            if answer is None:
                return Response(status_code=204)
            return JSONResponse(answer)

        return endpoint

    async def journal(request: Request) -> Any:
        query = request.query_params
        try:
            since = int(query.get("since") or 0)
        except ValueError:
            raise _BadControl("since must be an integer") from None
        entries = service.journal.entries(
            query.get("method"), query.get("operation"), path=query.get("path"), since=since
        )
        return {
            "entries": [entry.as_dict() for entry in entries],
            "last_seq": service.journal.last_seq,
        }

    async def clear_journal(request: Request) -> Any:
        service.journal.clear()

    async def reset(request: Request) -> Any:
        service.reset()

    async def fail_jobs(request: Request) -> Any:
        service.add_job_failure(_build(JobFailure, await _object(request)))

    async def backend_state(request: Request) -> Any:
        body = await _object(request)
        name = request.path_params["name"]
        if name not in service.devices:
            raise LookupError(f"no backend named {name}")
        service.set_backend_state(name, str(body.get("state", "")), body.get("reason"))

    async def expire_sessions(request: Request) -> Any:
        body = await _object(request)
        try:
            return {"expired": service.expire_sessions(body.get("session_id"))}
        except Exception as exc:  # the service's ApiError for an unknown session
            raise LookupError(str(exc)) from None

    async def usage(request: Request) -> Any:
        body = await _object(request)
        if body.get("limit_reached") is True:
            service.reach_usage_limit()
        elif isinstance(body.get("consumed_seconds"), int | float):
            service.set_usage_consumed(float(body["consumed_seconds"]))
        else:
            raise _BadControl('send {"consumed_seconds": N} or {"limit_reached": true}')

    async def settings(request: Request) -> Any:
        body = await _object(request)
        changes: dict[str, Any] = {}
        if "max_pending_jobs" in body:
            changes["max_pending_jobs"] = body.pop("max_pending_jobs")
        if "session_max_ttl" in body:
            changes["session_max_ttl"] = body.pop("session_max_ttl")
        if "job_delays" in body:
            delays = body.pop("job_delays")
            fields = delays if isinstance(delays, dict) else {"queued": delays, "running": delays}
            changes["job_delays"] = _build(JobDelays, fields)
        if "faults" in body:
            changes["faults"] = _build(Faults, body.pop("faults") or {})
        if body:
            raise _BadControl(f"unknown setting(s) {', '.join(sorted(body))}")
        service.update_config(**changes)

    prefix = CONTROL_PREFIX
    return [
        Route(f"{prefix}/journal", handle(journal), methods=["GET"]),
        Route(f"{prefix}/journal", handle(clear_journal), methods=["DELETE"]),
        Route(f"{prefix}/reset", handle(reset), methods=["POST"]),
        Route(f"{prefix}/job-failures", handle(fail_jobs), methods=["POST"]),
        Route(f"{prefix}/backends/{{name}}/state", handle(backend_state), methods=["PUT"]),
        Route(f"{prefix}/sessions/expire", handle(expire_sessions), methods=["POST"]),
        Route(f"{prefix}/usage", handle(usage), methods=["PUT"]),
        Route(f"{prefix}/settings", handle(settings), methods=["PATCH"]),
    ]
