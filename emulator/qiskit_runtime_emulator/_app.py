"""The ASGI app: IAM's token endpoint and the REST API under ``/api/v1`` and ``/experimental``.

qiskit-ibm-runtime uses a URL that contains "experimental" verbatim and appends ``/jobs`` etc.
without ``/v1``, so the API is served under ``/experimental/v1`` *and* ``/experimental``.
Every API route but ``/v1/versions`` checks the bearer token and the ``Service-CRN`` header,
reads ``IBM-API-Version``, and may be hit by the configured fault injection first.

Every request to IAM and the API is written to the request journal (``_journal``) by a thin ASGI
wrapper around the app. The emulator's own controls (the journal, scenarios, faults, reset) live
under ``/emulator``, a prefix IBM's API does not use, and are not journaled.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._config import EmulatorConfig, Faults
from ._controls import CONTROL_PREFIX, control_routes
from ._errors import ApiError, Code, ErrorStyle, error_body, iam_error_body
from ._iam import APIKEY_GRANT
from ._journal import JOURNALED_HEADERS, JournalEntry, auth_scheme, redact_query
from ._params import RequestContext
from ._service import EmulatorService
from ._transpiler import TRANSPILER_PREFIX, transpiler_routes

__all__ = ["API_PREFIXES", "create_app"]

logger = logging.getLogger("qiskit_runtime_emulator")

API_PREFIXES = ("/api/v1", "/experimental/v1", "/experimental")
_VERSION_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Handler = Callable[[Request, EmulatorService, RequestContext], Awaitable[Response]]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    handler: Handler
    style: ErrorStyle = ErrorStyle.CONTAINER
    authenticated: bool = True
    needs_crn: bool = True  # POST /v1/logout takes the bearer token alone


class _FaultDice:
    """The random draws of fault injection, reseeded whenever the faults change."""

    def __init__(self) -> None:
        self._faults: Faults | None = None
        self._rng = random.Random()

    def roll(self, faults: Faults) -> random.Random:
        if faults is not self._faults:
            self._faults = faults
            self._rng = random.Random(faults.seed)
        return self._rng


class _DroppedConnection(Response):
    """Starts a response and stops mid-body: the server then closes the connection."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"trunc', "more_body": True})


def _json(doc: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(doc, separators=(",", ":"), allow_nan=False).encode()
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _no_content() -> Response:
    return Response(status_code=204)


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise ApiError(400, Code.BAD_REQUEST, "The request body is not valid JSON.") from None


def _api_version(request: Request, known: Sequence[str]) -> str:
    """The version whose behaviour applies: the newest of ``known`` (oldest first) not after the
    requested date."""
    requested = request.headers.get("ibm-api-version")
    if requested is None:
        # Documented: without the header the oldest response shapes apply.
        return known[0]
    requested = requested.strip()
    if not _VERSION_PATTERN.match(requested):
        raise ApiError(400, Code.BAD_REQUEST, "IBM-API-Version must be a YYYY-MM-DD date.")
    if requested < known[0]:
        raise ApiError(400, Code.BAD_REQUEST, f"IBM-API-Version {requested} is not supported.")
    return max(version for version in known if version <= requested)


def _authenticate(request: Request, service: EmulatorService, needs_crn: bool = True) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise ApiError(401, Code.AUTHENTICATION)
    scheme, _, credential = header.partition(" ")
    credential = credential.strip()
    user: str | None = None
    if scheme.lower() == "bearer":
        user = service.issuer.verify(credential, revoke_after=service.faults.revoke_tokens_after)
    elif scheme.lower() == "apikey":
        # IBM's IBMCloudAPIKey scheme, qiskit-ibm-runtime's fallback when IAM is unreachable.
        user = service.issuer.user_for_key(credential)
    if user is None:
        raise ApiError(401, Code.INVALID_CREDENTIALS)
    if not needs_crn:
        return user
    crn = request.headers.get("service-crn")
    if not crn:
        raise ApiError(401, Code.AUTHENTICATION, "The Service-CRN header is required.")
    if crn.strip() != service.config.crn:
        raise ApiError(403, Code.NOT_AUTHORIZED, "The instance in Service-CRN is not available.")
    return user


def _endpoint(operation: Operation, service: EmulatorService, dice: _FaultDice) -> Any:
    known_versions = [version for version, _, _ in service.config.api_versions]
    label = f"{operation.method} /v1{operation.path}"

    async def endpoint(request: Request) -> Response:
        request.state.operation = label
        try:
            faults = service.faults
            if faults.latency:
                await asyncio.sleep(faults.latency)
            rng = dice.roll(faults)
            if faults.drop_rate and rng.random() < faults.drop_rate:
                request.state.fault = "drop"
                return _DroppedConnection()
            if faults.error_rate and rng.random() < faults.error_rate:
                request.state.fault = "error"
                raise ApiError(faults.error_status, Code.INTERNAL, "(injected fault)")
            if faults.rate_limit_rate and rng.random() < faults.rate_limit_rate:
                request.state.fault = "rate_limit"
                raise ApiError(
                    429,
                    Code.TOO_MANY_REQUESTS,
                    "(injected fault)",
                    headers={"Retry-After": str(faults.retry_after)},
                )
            if operation.authenticated:
                user = _authenticate(request, service, operation.needs_crn)
                context = RequestContext(
                    user_id=user,
                    api_version=_api_version(request, known_versions),
                    caller=request.headers.get("x-qx-client-application"),
                )
            else:
                # Only /v1/versions: it takes no version header and needs no credentials.
                context = RequestContext(user_id="", api_version=known_versions[0])
            response = await operation.handler(request, service, context)
            lost = faults.lost_response_rate
            if lost and operation.method != "GET" and rng.random() < lost:
                request.state.fault = "lost_response"
                raise ApiError(faults.error_status, Code.INTERNAL, "(injected fault)")
            return response
        except ApiError as error:
            return _json(error_body(error, operation.style), error.status, error.headers)
        except Exception:
            logger.exception("unexpected error in %s %s", request.method, request.url.path)
            internal = ApiError(500, Code.INTERNAL)
            return _json(error_body(internal, operation.style), 500)

    return endpoint


# ------------------------------------------------------------------------------------ handlers


async def _versions(request: Request, service: EmulatorService, ctx: RequestContext) -> Response:
    versions = []
    for version, sunset, status in service.config.api_versions:
        entry = {"version": version, "status": status}
        if sunset:
            entry["sunset_date"] = sunset
        versions.append(entry)
    return _json({"versions": versions})


async def _logout(request: Request, service: EmulatorService, ctx: RequestContext) -> Response:
    # IBM documents "Clear a user's authorization cache" and nothing more; the emulator takes
    # the strict reading: the bearer token presented here is refused from now on. An API key
    # sent with the `apikey` scheme is not a token and stays valid.
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        service.issuer.log_out(credential.strip())
    return _no_content()


async def _list_jobs(request: Request, service: EmulatorService, ctx: RequestContext) -> Response:
    return _json(service.list_jobs(request.query_params, ctx))


async def _create_job(request: Request, service: EmulatorService, ctx: RequestContext) -> Response:
    return _json(service.create_job(await _body(request), ctx))


async def _get_job(request: Request, service: EmulatorService, ctx: RequestContext) -> Response:
    return _json(service.get_job(request.path_params["id"], request.query_params, ctx))


async def _delete_job(request: Request, service: EmulatorService, ctx: RequestContext) -> Response:
    service.delete_job(request.path_params["id"])
    return _no_content()


async def _cancel_job(request: Request, service: EmulatorService, ctx: RequestContext) -> Response:
    service.cancel_job(request.path_params["id"])
    return _no_content()


async def _job_results(request: Request, service: EmulatorService, ctx: RequestContext) -> Response:
    text = service.job_results(request.path_params["id"])
    if text is None:
        return _no_content()
    # The spec types sampler/estimator results as a string (LegacyJobResults) and IBM's clients
    # read the body as text; qrmi rejects it if it is labelled JSON. The text is still JSON.
    return Response(text, media_type="text/plain; charset=utf-8")


async def _job_logs(request: Request, service: EmulatorService, ctx: RequestContext) -> Response:
    return PlainTextResponse(service.job_logs(request.path_params["id"]))


async def _job_metrics(request: Request, service: EmulatorService, ctx: RequestContext) -> Response:
    return _json(service.job_metrics(request.path_params["id"], ctx))


async def _job_tags(request: Request, service: EmulatorService, ctx: RequestContext) -> Response:
    service.replace_tags(request.path_params["id"], await _body(request))
    return _no_content()


async def _tags(request: Request, service: EmulatorService, ctx: RequestContext) -> Response:
    return _json(service.search_tags(request.query_params))


async def _create_session(
    request: Request, service: EmulatorService, ctx: RequestContext
) -> Response:
    return _json(service.create_session(await _body(request), ctx))


async def _get_session(request: Request, service: EmulatorService, ctx: RequestContext) -> Response:
    return _json(service.get_session(request.path_params["id"]))


async def _update_session(
    request: Request, service: EmulatorService, ctx: RequestContext
) -> Response:
    service.update_session(request.path_params["id"], await _body(request))
    return _no_content()


async def _close_session(
    request: Request, service: EmulatorService, ctx: RequestContext
) -> Response:
    service.close_session(request.path_params["id"])
    return _no_content()


async def _backends(request: Request, service: EmulatorService, ctx: RequestContext) -> Response:
    return _json(service.list_backends(request.query_params, ctx))


def _backend_document(kind: str) -> Handler:
    async def handler(request: Request, service: EmulatorService, ctx: RequestContext) -> Response:
        name = request.path_params["id"]
        if kind == "status":
            return _json(service.backend_status(name))
        return _json(service.backend_document(name, kind))

    return handler


async def _instance(request: Request, service: EmulatorService, ctx: RequestContext) -> Response:
    return _json(service.instance())


async def _instance_configuration(
    request: Request, service: EmulatorService, ctx: RequestContext
) -> Response:
    return _json(service.instance_configuration())


async def _replace_instance_configuration(
    request: Request, service: EmulatorService, ctx: RequestContext
) -> Response:
    service.replace_instance_configuration(await _body(request))
    return _no_content()


async def _usage(request: Request, service: EmulatorService, ctx: RequestContext) -> Response:
    return _json(service.usage())


async def _account(request: Request, service: EmulatorService, ctx: RequestContext) -> Response:
    return _json(service.account(request.path_params["id"], request.query_params))


async def _workloads(request: Request, service: EmulatorService, ctx: RequestContext) -> Response:
    def page_url(key: str, token: str) -> str:
        url = request.url.remove_query_params(["next", "previous"])
        return str(url.include_query_params(**{key: token}))

    return _json(service.workloads(request.query_params, ctx, page_url))


def _analytics(kind: str) -> Handler:
    async def handler(request: Request, service: EmulatorService, ctx: RequestContext) -> Response:
        return _json(service.analytics(kind, request.query_params))

    return handler


_GENERIC = ErrorStyle.GENERIC

OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", "/versions", _versions, authenticated=False),
    Operation("GET", "/jobs", _list_jobs),
    Operation("POST", "/jobs", _create_job),
    Operation("GET", "/jobs/{id}", _get_job),
    Operation("DELETE", "/jobs/{id}", _delete_job),
    Operation("POST", "/jobs/{id}/cancel", _cancel_job),
    Operation("GET", "/jobs/{id}/results", _job_results),
    Operation("GET", "/jobs/{id}/logs", _job_logs),
    Operation("GET", "/jobs/{id}/metrics", _job_metrics),
    Operation("PUT", "/jobs/{id}/tags", _job_tags),
    Operation("GET", "/tags", _tags),
    Operation("POST", "/sessions", _create_session),
    Operation("GET", "/sessions/{id}", _get_session),
    Operation("PATCH", "/sessions/{id}", _update_session),
    Operation("DELETE", "/sessions/{id}/close", _close_session),
    Operation("GET", "/backends", _backends),
    Operation("GET", "/backends/{id}/configuration", _backend_document("configuration")),
    Operation("GET", "/backends/{id}/defaults", _backend_document("defaults")),
    Operation("GET", "/backends/{id}/properties", _backend_document("properties")),
    Operation("GET", "/backends/{id}/status", _backend_document("status")),
    Operation("GET", "/instance", _instance),
    Operation("GET", "/instances/configuration", _instance_configuration),
    Operation("PUT", "/instances/configuration", _replace_instance_configuration),
    Operation("GET", "/instances/usage", _usage, _GENERIC),
    Operation("GET", "/accounts/{id}", _account),
    Operation("GET", "/workloads", _workloads, _GENERIC),
    Operation("GET", "/analytics/usage", _analytics("usage"), _GENERIC),
    Operation("GET", "/analytics/usage_grouped", _analytics("usage_grouped"), _GENERIC),
    Operation(
        "GET",
        "/analytics/usage_grouped_by_date",
        _analytics("usage_grouped_by_date"),
        _GENERIC,
    ),
    Operation("GET", "/analytics/filters", _analytics("filters"), _GENERIC),
    Operation("POST", "/logout", _logout, needs_crn=False),
)


# ------------------------------------------------------------------------------------------- IAM


def _iam_endpoint(service: EmulatorService) -> Any:
    async def token(request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        url = str(request.base_url).rstrip("/")
        if form.get("grant_type") != APIKEY_GRANT:
            body = iam_error_body("BXNIM0103E", "Unsupported grant type.", url)
            return JSONResponse(body, status_code=400)
        api_key = form.get("apikey", "")
        if not api_key:
            body = iam_error_body(
                "BXNIM0109E", "Property missing or empty. Property name: 'apikey'.", url
            )
            return JSONResponse(body, status_code=400)
        user = service.issuer.user_for_key(api_key)
        if user is None:
            body = iam_error_body("BXNIM0415E", "Provided API key could not be found.", url)
            return JSONResponse(body, status_code=400)
        return JSONResponse(service.issuer.issue(user))

    return token


def _index(service: EmulatorService) -> Any:
    async def index(request: Request) -> Response:
        root = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "name": "qiskit-runtime-emulator",
                "base_url": f"{root}/api",
                "iam_url": root,
                "crn": service.config.crn,
                "backends": list(service.devices),
                "controls": f"{root}{CONTROL_PREFIX}",
                "transpiler_url": f"{root}{TRANSPILER_PREFIX}",
            }
        )

    return index


class _JournalRecorder:
    """ASGI wrapper: journals each IAM and API request once its response has been sent."""

    def __init__(self, app: ASGIApp, service: EmulatorService) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path == "/" or path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        received = sent = 0
        status = 0
        recorded = False

        def record() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                self._record(scope, status, received, sent, time.perf_counter() - started)

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            return message

        async def counting_send(message: Message) -> None:
            nonlocal sent, status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
                if not message.get("more_body", False):
                    # Before the last byte leaves: a client that has its answer finds it journaled.
                    record()
            await send(message)

        try:
            await self.app(scope, counting_receive, counting_send)
        finally:
            record()  # a dropped connection never sends its last body chunk

    def _record(self, scope: Scope, status: int, received: int, sent: int, took: float) -> None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        state = scope.get("state") or {}
        operation = state.get("operation", "")
        if scope["path"] == "/identity/token":
            operation = "POST /identity/token"
        journal = self.service.journal
        journal.record(
            JournalEntry(
                seq=journal.next_seq(),
                time=time.time(),
                method=scope["method"],
                path=scope["path"],
                operation=operation,
                query=redact_query(parse_qsl(scope.get("query_string", b"").decode("latin-1"))),
                status=status,
                headers={name: headers[name] for name in JOURNALED_HEADERS if name in headers},
                auth_scheme=auth_scheme(headers.get("authorization")),
                request_bytes=received,
                response_bytes=sent,
                duration_ms=round(took * 1000, 3),
                fault=state.get("fault"),
            )
        )


def _allowed_methods(routes: Sequence[Route], scope: Scope) -> list[str]:
    allowed: set[str] = set()
    for route in routes:
        match, _ = route.matches({**scope, "method": "GET"})
        if match is not Match.NONE and route.methods:
            allowed |= route.methods
    return sorted(allowed)


def create_app(
    config: EmulatorConfig | None = None, *, service: EmulatorService | None = None
) -> Starlette:
    """The emulator as an ASGI app. Without ``service`` it owns one built from ``config``."""
    owned = service is None
    service = service or EmulatorService(config or EmulatorConfig())
    dice = _FaultDice()
    routes = [
        Route("/", _index(service), methods=["GET"]),
        Route("/identity/token", _iam_endpoint(service), methods=["POST"]),
        *control_routes(service),
        *transpiler_routes(service),
    ]
    for prefix in API_PREFIXES:
        for operation in OPERATIONS:
            routes.append(
                Route(
                    prefix + operation.path,
                    _endpoint(operation, service, dice),
                    methods=[operation.method],
                )
            )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if owned:
            service.close()

    async def not_routed(request: Request, exc: Exception) -> Response:
        # Unknown paths and methods answer in the API's error shape, not Starlette's text.
        status = getattr(exc, "status_code", 404)
        error = ApiError(
            status, Code.BAD_REQUEST, f"No route for {request.method} {request.url.path}."
        )
        headers = None
        if status == 405:
            # RFC 9110: a 405 lists what the path does allow. Each method is its own Route, so
            # Starlette's own Allow (the first partial match's) would name only one of them.
            headers = {"Allow": ", ".join(_allowed_methods(routes, request.scope))}
        return _json(error_body(error, ErrorStyle.CONTAINER), status, headers)

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: not_routed, 405: not_routed},
    )
    app.state.service = service
    app.add_middleware(_JournalRecorder, service=service)
    return app
