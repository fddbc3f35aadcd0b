"""Transpilation that sends requests: locally for a client (``rt.transpile``, ``transpile=True``:
the backend's Target from ``rt.backends.target``, then ``.._transpile``), and IBM's transpiler
service (``rt.transpiler_service``), a thin client of its two routes:

    POST {url}/transpile?backend=&optimization_level=&ai=   {"qasm_circuits": [...]} -> {"task_id"}
    GET  {url}/transpile/{task_id}                          -> {"state", "result": [...]}

The service is another host (``https://cloud-transpiler.quantum.ibm.com`` unless
``QISKIT_IBM_TRANSPILER_URL`` or the emulator says otherwise) with no OpenAPI document in this
project, so its routes are declared apart from the API's in ``_operations.py``. Requests go through
the client's own connections and auth flow: an IAM bearer token and ``Service-CRN``, retries (a
POST only when it never left), typed errors. What is known about how the service authenticates,
and why this client sends an IAM token, is in ``docs/transpiler-notes.md``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from .._exceptions import (
    ApiError,
    AuthenticationError,
    InvalidInputError,
    JobTimeoutError,
    PermissionDeniedError,
    QiskitRuntimeError,
    TranspilerServiceError,
)
from .._pubs import _circuit_to_qasm
from .._transpile import require_qiskit, transpile_circuits
from .._transpile import transpile_pubs as _transpile_pubs
from .._transpiled import (
    TranspiledQasm,
    TranspileTask,
    check_optimization_level,
    parse_task,
    parse_task_id,
    transpile_request,
)
from .._waiters import Backoff, Deadline, FailureBudget
from .._wire import read_json
from ._requester import AsyncRequester
from ._resources import AsyncBackends

__all__ = ["AsyncTranspilerService", "transpile_for_backend", "transpile_pubs"]

logger = logging.getLogger("qiskit_runtime_rest")


def _backends(client: AsyncRequester) -> AsyncBackends:
    # The client's own rt.backends, so that its Target cache is shared.
    backends = getattr(client, "backends", None)
    return backends if isinstance(backends, AsyncBackends) else AsyncBackends(client)


async def transpile_for_backend(
    client: AsyncRequester, circuits: Any, backend: str, optimization_level: int
) -> Any:
    check_optimization_level(optimization_level)
    require_qiskit("rt.transpile")
    target = await _backends(client).target(backend)
    return transpile_circuits(circuits, target, optimization_level)


async def transpile_pubs(client: AsyncRequester, backend: str, pubs: Any, kind: str) -> Any:
    require_qiskit("transpile=True")
    target = await _backends(client).target(backend)
    return _transpile_pubs(pubs, target, kind)


_PAID_PLAN = (
    "IBM's transpiler service is available on paid plans only (the Open Plan has no access), "
    "and your credentials were refused ({status}: {message}). Transpile locally instead: "
    "rt.transpile(...) or transpile=True, with the [transpile] extra."
)


class AsyncTranspilerService:
    """``rt.transpiler_service``: transpile OpenQASM circuits on IBM's cloud (a paid-plan
    service): ``transpile`` submits and waits; ``submit``, ``task`` and ``wait`` do it in steps.
    """

    def __init__(self, client: AsyncRequester, url: str) -> None:
        self._client = client
        self.url = url.rstrip("/")

    async def transpile(
        self,
        circuits: Any,
        backend: str,
        *,
        optimization_level: int = 1,
        use_ai: bool = False,
        timeout: float | None = None,
    ) -> Any:
        """Transpile ``circuits`` (one OpenQASM string or QuantumCircuit, or a list) for
        ``backend`` and wait: one circuit in, one ``TranspiledQasm`` out (a ``str`` with a
        ``layout``); a list in, a list out."""
        task_id = await self.submit(
            circuits, backend, optimization_level=optimization_level, use_ai=use_ai
        )
        done = await self.wait(task_id, timeout)
        return list(done) if isinstance(circuits, list | tuple) else done[0]

    async def submit(
        self,
        circuits: Any,
        backend: str,
        *,
        optimization_level: int = 1,
        use_ai: bool = False,
    ) -> str:
        """Start a transpilation task (``POST /transpile``); returns its task id."""
        texts = _qasm_texts(circuits)
        params, body = transpile_request(texts, backend, optimization_level, use_ai)
        response = await self._send("POST", "/transpile", params=params, json=body)
        return parse_task_id(read_json(response, "POST /transpile"))

    async def task(self, task_id: str, *, timeout: float | None = None) -> TranspileTask:
        """The task's state, and its circuits once it succeeded (``GET /transpile/{task_id}``)."""
        response = await self._send("GET", f"/transpile/{task_id}", timeout=timeout)
        return parse_task(task_id, read_json(response, f"transpiler task {task_id}"))

    async def wait(self, task_id: str, timeout: float | None = None) -> list[TranspiledQasm]:
        """Poll the task with the jobs' schedule (backoff from 0.5 s to 10 s, transient failures
        waited through) until it is done; returns its circuits. Raises
        ``TranspilerServiceError`` if it failed and ``JobTimeoutError`` if ``timeout`` passes
        first (the task is left running)."""
        deadline = Deadline(self._client._clock, timeout)
        backoff = Backoff()
        failures = FailureBudget(deadline)
        while True:
            try:
                state = await self.task(task_id, timeout=deadline.request_timeout())
            except QiskitRuntimeError as exc:
                if not failures.absorb(exc):
                    raise
                logger.info("polling transpiler task %s failed (%s); still waiting", task_id, exc)
            else:
                failures.reset()
                if state.done:
                    if state.circuits is None:
                        raise TranspilerServiceError(
                            f"transpiler task {task_id} failed: {state.error}", task_id=task_id
                        )
                    return list(state.circuits)
            if deadline.expired():
                raise JobTimeoutError(
                    f"transpiler task {task_id} did not finish within {timeout:g} s; it may "
                    "still finish: call wait(task_id) again.",
                    job_id=None,
                    timeout=float(timeout or 0.0),
                )
            await self._client._sleep(deadline.clip(backoff.next()))

    async def _send(self, method: str, route: str, **kwargs: Any) -> Any:
        try:
            return await self._client._request(method, self.url + route, **kwargs)
        except (AuthenticationError, PermissionDeniedError) as exc:
            raise _paid_plan_error(exc) from exc
        except ApiError as exc:
            raise _with_detail(exc) from exc


def _qasm_texts(circuits: Any) -> list[str]:
    items = circuits if isinstance(circuits, list | tuple) else [circuits]
    if not items:
        raise InvalidInputError("no circuits to transpile")
    return [_circuit_to_qasm(c, f"circuits[{i}]") for i, c in enumerate(items)]


def _detail(exc: ApiError) -> str:
    """The service answers errors as FastAPI does: ``{"detail": "..."}`` or a list of them."""
    try:
        data = json.loads(exc.body) if exc.body else None
    except ValueError:
        return exc.message
    detail = data.get("detail") if isinstance(data, dict) else None
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        detail = detail[0].get("msg")
    return str(detail) if detail else exc.message


def _rebuilt(exc: ApiError, message: str) -> ApiError:
    return type(exc)(
        message,
        status_code=exc.status_code,
        code=exc.code,
        trace=exc.trace,
        more_info=exc.more_info,
        solution=exc.solution,
        body=exc.body,
        method=exc.method,
        url=exc.url,
        retry_after=exc.retry_after,
    )


def _paid_plan_error(exc: ApiError) -> ApiError:
    return _rebuilt(exc, _PAID_PLAN.format(status=exc.status_code, message=_detail(exc)))


def _with_detail(exc: ApiError) -> ApiError:
    detail = _detail(exc)
    return exc if detail == exc.message else _rebuilt(exc, f"transpiler service: {detail}")
