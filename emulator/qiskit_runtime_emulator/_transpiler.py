"""IBM's transpiler service, emulated: its two routes, under ``/transpiler`` (the real service is
another host, ``https://cloud-transpiler.quantum.ibm.com``).

    POST /transpiler/transpile?backend=&optimization_level=&ai=|use_ai=   {"qasm_circuits": ...}
         -> {"task_id": "<uuid>"}
    GET  /transpiler/transpile/{task_id}
         -> {"state": "PENDING"|"STARTED"|"SUCCESS"|"FAILURE", "result": [...]}

A SUCCESS result has the shape of the seed notebook's recorded answer: one
``{"qasm", "success": true, "layout": {"initial", "final"}}`` per circuit. Circuits are
transpiled by qiskit's preset pass manager at the requested ``optimization_level`` for the
device's Target, built from the emulator's own configuration and properties documents with the
facade's ``target_from_documents`` (the same code ``rt.backends.target`` uses). ``ai``/``use_ai``
are accepted and ignored: the AI passes are not emulated. Tasks run one at a time on a worker
thread, so a client sees PENDING before SUCCESS. Errors are FastAPI-shaped (``{"detail": ...}``),
as the service's own are.
"""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ._circuits import CircuitInputError, load_circuit

if TYPE_CHECKING:
    from ._service import EmulatorService

__all__ = ["TRANSPILER_PREFIX", "TranspilerTasks", "transpiler_routes"]

TRANSPILER_PREFIX = "/transpiler"


class _Refused(Exception):
    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(str(detail))
        self.status = status
        self.detail = detail


class TranspilerTasks:
    """The tasks of one emulator, and the worker thread that runs them."""

    def __init__(self, service: EmulatorService) -> None:
        self._service = service
        self._lock = threading.Lock()
        self._tasks: dict[str, Future[list[dict[str, Any]]]] = {}
        self._started: set[str] = set()
        self._targets: dict[str, Any] = {}
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="qiskit-runtime-emulator-transpiler")

    def submit(self, backend: str, optimization_level: int, circuits: list[str]) -> str:
        task_id = str(uuid.uuid4())

        def run() -> list[dict[str, Any]]:
            with self._lock:
                self._started.add(task_id)
            return self._transpile(backend, optimization_level, circuits)

        with self._lock:
            self._tasks[task_id] = self._pool.submit(run)
        return task_id

    def state(self, task_id: str) -> dict[str, Any]:
        with self._lock:
            future = self._tasks.get(task_id)
            started = task_id in self._started
        if future is None:
            raise _Refused(404, f"Task {task_id} not found.")
        if not future.done():
            return {"state": "STARTED" if started else "PENDING", "result": None}
        error = future.exception()
        if error is not None:
            return {"state": "FAILURE", "result": str(error)}
        return {"state": "SUCCESS", "result": future.result()}

    def clear(self) -> None:
        with self._lock:
            self._tasks.clear()
            self._started.clear()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _target(self, backend: str) -> Any:
        from qiskit_runtime_rest._transpile import target_from_documents

        if backend not in self._targets:
            self._targets[backend] = target_from_documents(
                self._service.backend_document(backend, "configuration"),
                self._service.backend_document(backend, "properties"),
            )
        return self._targets[backend]

    def _transpile(
        self, backend: str, optimization_level: int, circuits: list[str]
    ) -> list[dict[str, Any]]:
        from qiskit import qasm3
        from qiskit.transpiler import generate_preset_pass_manager
        from qiskit_runtime_rest._transpile import layout_of

        manager = generate_preset_pass_manager(
            optimization_level=optimization_level,
            target=self._target(backend),
            seed_transpiler=self._service.config.seed,
        )
        results = []
        for index, text in enumerate(circuits):
            try:
                circuit = load_circuit(text)
            except CircuitInputError as exc:
                raise ValueError(f"Circuit {index}: {exc}") from None
            isa = manager.run(circuit)
            results.append(
                {
                    "qasm": qasm3.dumps(isa),
                    "success": True,
                    "layout": layout_of(isa).to_json(),
                }
            )
        return results


def _detail(status: int, detail: Any) -> Response:
    body = json.dumps({"detail": detail}, separators=(",", ":")).encode()
    return Response(body, status_code=status, media_type="application/json")


def _invalid(location: str, message: str) -> _Refused:
    return _Refused(422, [{"loc": location.split("."), "msg": message, "type": "value_error"}])


def _check_credentials(request: Request, service: EmulatorService) -> None:
    """An IAM bearer token, or the API key itself as the bearer (what qiskit-ibm-transpiler
    sends); a Service-CRN, when sent, must be the emulator's."""
    scheme, _, credential = (request.headers.get("authorization") or "").partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise _Refused(401, "Not authenticated")
    user = service.issuer.verify(credential, revoke_after=service.faults.revoke_tokens_after)
    if user is None and service.issuer.user_for_key(credential) is None:
        raise _Refused(401, "Invalid credentials")
    crn = request.headers.get("service-crn")
    if crn is not None and crn.strip() != service.config.crn:
        raise _Refused(403, "The instance in Service-CRN is not available.")


def _optimization_level(raw: str | None) -> int:
    if raw is None:
        return 3  # the reference's default
    if raw not in ("0", "1", "2", "3"):
        raise _invalid("query.optimization_level", "optimization_level must be 0, 1, 2 or 3")
    return int(raw)


def _circuits(body: Any) -> list[str]:
    circuits = body.get("qasm_circuits") if isinstance(body, dict) else None
    if isinstance(circuits, str):
        circuits = [circuits]  # the seed notebook sends one string, not a list
    if (
        not isinstance(circuits, list)
        or not circuits
        or not all(isinstance(c, str) and c.strip() for c in circuits)
    ):
        raise _invalid("body.qasm_circuits", "qasm_circuits must be a circuit or a list of them")
    return circuits


def transpiler_routes(service: EmulatorService) -> list[Route]:
    async def create(request: Request) -> Response:
        request.state.operation = "POST /transpile"
        try:
            _check_credentials(request, service)
            query = request.query_params
            backend = query.get("backend")
            if not backend:
                raise _invalid("query.backend", "backend is required (coupling maps not emulated)")
            if backend not in service.devices:
                raise _Refused(
                    400,
                    f"The requested backend was not found: '{backend}'. Available backends: "
                    + ", ".join(f"'{name}'" for name in service.devices),
                )
            level = _optimization_level(query.get("optimization_level"))
            try:
                body = json.loads(await request.body() or b"null")
            except ValueError:
                raise _invalid("body", "the body is not valid JSON") from None
            task_id = service.transpiler.submit(backend, level, _circuits(body))
        except _Refused as refused:
            return _detail(refused.status, refused.detail)
        return Response(json.dumps({"task_id": task_id}).encode(), media_type="application/json")

    async def task(request: Request) -> Response:
        request.state.operation = "GET /transpile/{task_id}"
        try:
            _check_credentials(request, service)
            state = service.transpiler.state(request.path_params["task_id"])
        except _Refused as refused:
            return _detail(refused.status, refused.detail)
        return Response(json.dumps(state).encode(), media_type="application/json")

    return [
        Route(f"{TRANSPILER_PREFIX}/transpile", create, methods=["POST"]),
        Route(f"{TRANSPILER_PREFIX}/transpile/{{task_id}}", task, methods=["GET"]),
    ]
