"""What each ``qrt`` command does (the parser, exit codes and error lines are in ``_cli.py``).

A handler is named after its command (``jobs_wait`` for ``qrt jobs wait``), takes the parsed
arguments and the output stream, prints a readable table (or JSON with ``--json``) and returns
the exit code. Everything raised is turned into one line and an exit code by ``_cli.main``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

from ._cli import EXIT_JOB_FAILED, EXIT_OK, EXIT_USAGE, StatusLine
from ._constants import ENV_IAM_URL, ENV_INSTANCE, ENV_TOKEN
from ._exceptions import InvalidInputError
from ._status import JobStatus
from ._sync._client import RuntimeClient
from ._sync._jobs import Job

Args = argparse.Namespace


# --------------------------------------------------------------------------- plumbing


def connect(args: Args) -> RuntimeClient:
    """A client from the credentials the facade reads: ``--local``, ``--account NAME``, the
    environment, then the default saved account."""
    if getattr(args, "local", False):
        return RuntimeClient.local()
    account = getattr(args, "account", None)
    if account:
        return RuntimeClient.from_saved_account(account)
    if os.environ.get(ENV_TOKEN) or os.environ.get(ENV_INSTANCE):
        return RuntimeClient.from_env()
    try:
        return RuntimeClient.from_saved_account()
    except InvalidInputError as exc:
        raise InvalidInputError(
            f"no credentials: set {ENV_TOKEN} and {ENV_INSTANCE}, run `qrt login`, or pass "
            f"--local for the embedded emulator ({exc})"
        ) from None


def table(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> str:
    """Left-aligned columns, ``-`` for missing values."""
    text = [[("-" if v is None or v == "" else str(v)) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in text:
        widths = [max(w, len(v)) for w, v in zip(widths, row, strict=True)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in text]
    return "\n".join(line.rstrip() for line in lines)


def fields(pairs: Iterable[tuple[str, Any]]) -> str:
    """``key: value`` lines, aligned, skipping missing values."""
    present = [(k, v) for k, v in pairs if v is not None and v != "" and v != []]
    width = max((len(k) for k, _ in present), default=0)
    return "\n".join(f"{k + ':':<{width + 1}} {v}" for k, v in present)


def dump(value: Any, out: TextIO) -> None:
    print(json.dumps(value, indent=2, sort_keys=True, default=str), file=out)


def _can_draw_blocks(out: TextIO) -> bool:
    encoding = getattr(out, "encoding", None) or "ascii"
    try:
        "█▏".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


# --------------------------------------------------------------------------- accounts


def login(args: Args, out: TextIO) -> int:
    """Ask for the API key (no echo), check it at IAM, save it as qiskit-ibm-runtime does."""
    import getpass

    if getattr(args, "local", False):
        raise InvalidInputError("qrt login saves IBM Cloud credentials; --local needs none")
    crn = (args.instance or input("Instance CRN (crn:v1:...): ")).strip()
    api_key = getpass.getpass("IBM Cloud API key (not echoed): ").strip()
    if not api_key:
        raise InvalidInputError("no API key given")
    iam_url = os.environ.get(ENV_IAM_URL) or None
    with RuntimeClient(api_key=api_key, crn=crn, base_url=args.url, iam_url=iam_url) as rt:
        lifetime = rt.authenticate()
    path = RuntimeClient.save_account(
        api_key=api_key,
        crn=crn,
        name=args.name,
        url=args.url,
        set_as_default=args.default,
        overwrite=True,
    )
    name = args.name or "default-ibm-quantum-platform"
    print(
        f"API key accepted by IAM (token valid for {lifetime or 0:.0f} s); saved account "
        f"{name!r} in {path} (readable by you only)",
        file=out,
    )
    return EXIT_OK


def logout(args: Args, out: TextIO) -> int:
    """``POST /v1/logout`` with the account's token, then remove the saved account."""
    from ._credentials import remove_saved_account

    with connect(args) as rt:
        source = rt._credential_source
        if rt.logout():
            print("the service cleared its authorization cache for this token", file=out)
        else:
            print("the service has no POST /v1/logout: only the cached token was dropped", file=out)
    if source[0] == "saved":
        name, path = remove_saved_account(source[1], source[2])
        print(f"removed the saved account {name!r} from {path}", file=out)
    elif source[0] == "env":
        print(f"the credentials come from ${ENV_TOKEN}: unset it to forget them", file=out)
    print(
        "the API key itself stays valid (revoke it at https://cloud.ibm.com/iam/apikeys)", file=out
    )
    return EXIT_OK


# --------------------------------------------------------------------------- backends


def backends(args: Args, out: TextIO) -> int:
    with connect(args) as rt:
        devices = rt.backends.list()
    if args.json:
        dump([device.body for device in devices], out)
        return EXIT_OK
    rows = [
        (d.name, d.status, d.num_qubits, d.queue_length, _processor(d.processor_type))
        for d in devices
    ]
    print(table(rows, ("name", "status", "qubits", "queue", "processor")), file=out)
    return EXIT_OK


def _processor(processor: Mapping[str, Any] | None) -> str | None:
    if not processor:
        return None
    family, revision = processor.get("family"), processor.get("revision")
    return " r".join(str(p) for p in (family, revision) if p is not None) or None


def backends_show(args: Args, out: TextIO) -> int:
    with connect(args) as rt:
        status = rt.backends.status(args.name)
        configuration = rt.backends.configuration(args.name)
    if args.json:
        dump({"status": status.body, "configuration": configuration}, out)
        return EXIT_OK
    gates = configuration.get("basis_gates")
    print(
        fields(
            [
                ("name", status.name),
                ("accepting jobs", status.state),
                ("status", status.status),
                ("message", status.message),
                ("queue", status.length_queue),
                ("version", status.backend_version),
                ("qubits", configuration.get("n_qubits")),
                ("processor", _processor(configuration.get("processor_type"))),
                ("basis gates", ", ".join(gates) if isinstance(gates, list) else None),
                ("max shots", configuration.get("max_shots")),
            ]
        ),
        file=out,
    )
    return EXIT_OK


# --------------------------------------------------------------------------- jobs


def _job_row(job: Job[Any]) -> tuple[Any, ...]:
    status = job.last_status.value if job.last_status is not None else None
    return (job.id, status, job.backend, job.program_id, job.created, job.session_id)


def jobs_list(args: Args, out: TextIO) -> int:
    if args.limit is not None and args.limit < 1:
        raise InvalidInputError(f"--limit must be at least 1, got {args.limit}")
    with connect(args) as rt:
        found = list(
            rt.jobs.list(
                backend=args.backend,
                session_id=args.session,
                pending=True if args.pending else None,
                tags=args.tag,
                limit=args.limit,
            )
        )
    if args.json:
        dump([job.body for job in found], out)
        return EXIT_OK
    headers = ("id", "status", "backend", "program", "created", "session")
    print(table((_job_row(job) for job in found), headers), file=out)
    return EXIT_OK


def jobs_show(args: Args, out: TextIO) -> int:
    with connect(args) as rt:
        job = rt.jobs.get(args.id)
    if args.json:
        dump(job.body, out)
        return EXIT_OK
    status = job.last_status.value if job.last_status is not None else None
    print(
        fields(
            [
                ("job", job.id),
                ("status", status),
                ("reason", job.reason),
                ("reason code", job.reason_code),
                ("backend", job.backend),
                ("program", job.program_id),
                ("session", job.session_id),
                ("created", job.created),
                ("tags", ", ".join(job.tags)),
            ]
        ),
        file=out,
    )
    return EXIT_OK


class _Progress:
    """``N of M final``, rewritten in place on a terminal."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._live = hasattr(out, "isatty") and out.isatty()

    def __call__(self, final: int, total: int) -> None:
        text = f"  {final} of {total} final"
        if self._live:
            print(f"\r{text}", end="", file=self._out, flush=True)
        else:
            print(text, file=self._out, flush=True)

    def done(self) -> None:
        if self._live:
            print(file=self._out)


def jobs_wait(args: Args, out: TextIO) -> int:
    if args.timeout is not None and args.timeout <= 0:
        raise InvalidInputError(f"--timeout must be positive, got {args.timeout}")
    with connect(args) as rt:
        jobs = [rt.jobs.get(job_id) for job_id in args.ids]
        if len(jobs) == 1:
            trail = StatusLine(out, "")
            if jobs[0].last_status is not None:
                trail(jobs[0], jobs[0].last_status)
            try:
                rt.jobs.wait_all(jobs, timeout=args.timeout, callback=trail)
            finally:
                trail.done()
        else:
            progress = _Progress(out)
            try:
                rt.jobs.wait_all(jobs, timeout=args.timeout, progress=progress)
            finally:
                progress.done()
    rows = [(job.id, _status_of(job), job.reason) for job in jobs]
    print(table(rows, ("id", "status", "reason")), file=out)
    failed = [job for job in jobs if job.last_status is not JobStatus.COMPLETED]
    return EXIT_JOB_FAILED if failed else EXIT_OK


def _status_of(job: Job[Any]) -> str | None:
    return job.last_status.value if job.last_status is not None else None


def jobs_result(args: Args, out: TextIO) -> int:
    from ._results import BitArray, EstimatorResult, SamplerResult

    with connect(args) as rt:
        result = rt.jobs.get(args.id).result(timeout=args.timeout)
    if isinstance(result, SamplerResult):
        pubs = [
            {
                "data": {
                    name: value.get_counts() if isinstance(value, BitArray) else value
                    for name, value in pub.data.items()
                },
                "metadata": pub.metadata,
            }
            for pub in result
        ]
    elif isinstance(result, EstimatorResult):
        pubs = [{"data": dict(pub.data), "metadata": pub.metadata} for pub in result]
    else:  # another program's result: its JSON, as decoded
        dump(result, out)
        return EXIT_OK
    if args.json:
        dump({"job": args.id, "results": pubs, "metadata": result.metadata}, out)
        return EXIT_OK
    for index, pub in enumerate(pubs):
        for name, value in pub["data"].items():
            print(f"PUB {index}, {name}:", file=out)
            if isinstance(result, SamplerResult):
                print(_counts_text(value, args, out), file=out)
            else:
                print(f"  {value}", file=out)
    return EXIT_OK


def _counts_text(counts: Mapping[str, int], args: Args, out: TextIO) -> str:
    from ._display import counts_bars, top_counts

    if args.histogram:
        bars = counts_bars(counts, top=args.top, ascii=not _can_draw_blocks(out))
        return "\n".join(f"  {line}" for line in bars.splitlines())
    shown, others, rest = top_counts(counts, args.top)
    rows: list[tuple[Any, ...]] = sorted(shown, key=lambda item: (-item[1], item[0]))
    if others:
        rows.append((f"({others} others)", rest))
    total = sum(counts.values()) or 1
    body = table(
        ((k, v, f"{100 * v / total:.1f} %") for k, v in rows), ("outcome", "count", "share")
    )
    return "\n".join(f"  {line}" for line in body.splitlines())


def jobs_cancel(args: Args, out: TextIO) -> int:
    with connect(args) as rt:
        rt.jobs.get(args.id).cancel()
    print(f"cancelled job {args.id}", file=out)
    return EXIT_OK


def jobs_logs(args: Args, out: TextIO) -> int:
    with connect(args) as rt:
        text = rt.jobs.get(args.id).logs()
    print(text.rstrip("\n"), file=out)
    return EXIT_OK


def jobs_delete(args: Args, out: TextIO) -> int:
    with connect(args) as rt:
        rt.jobs.get(args.id).delete()
    print(f"deleted job {args.id}", file=out)
    return EXIT_OK


# --------------------------------------------------------------------------- sessions


def sessions_show(args: Args, out: TextIO) -> int:
    with connect(args) as rt:
        details = rt.sessions.get(args.id).details()
    if args.json:
        dump(details.body, out)
        return EXIT_OK
    print(
        fields(
            [
                ("session", details.id),
                ("mode", details.mode),
                ("state", details.state),
                ("reason", details.state_reason),
                ("accepting jobs", details.accepting_jobs),
                ("backend", details.backend_name),
                ("max ttl", details.max_ttl),
                ("started", details.started_at),
                ("closed", details.closed_at),
            ]
        ),
        file=out,
    )
    return EXIT_OK


def sessions_close(args: Args, out: TextIO) -> int:
    with connect(args) as rt:
        rt.sessions.get(args.id).close()
    print(f"session {args.id} accepts no more jobs; queued jobs still run", file=out)
    return EXIT_OK


def sessions_cancel(args: Args, out: TextIO) -> int:
    with connect(args) as rt:
        rt.sessions.get(args.id).cancel()
    print(f"session {args.id} closed; its queued jobs were dropped", file=out)
    return EXIT_OK


# --------------------------------------------------------------------------- instance, API


def usage(args: Args, out: TextIO) -> int:
    with connect(args) as rt:
        used = rt.instance.usage()
    if args.json:
        dump(used.body, out)
        return EXIT_OK
    print(
        fields(
            [
                ("instance", used.instance_id),
                ("plan", used.plan_id),
                ("period", _period(used.period_start, used.period_end)),
                ("consumed", _seconds(used.usage_consumed_seconds)),
                ("limit", _seconds(used.usage_limit_seconds)),
                ("allocation", _seconds(used.usage_allocation_seconds)),
                ("limit reached", used.usage_limit_reached),
            ]
        ),
        file=out,
    )
    return EXIT_OK


def _seconds(value: float | None) -> str | None:
    return None if value is None else f"{value:g} s"


def _period(start: Any, end: Any) -> str | None:
    if start is None and end is None:
        return None
    return f"{start or '?'} to {end or '?'}"


def versions(args: Args, out: TextIO) -> int:
    with connect(args) as rt:
        found = rt.versions()
        pinned = rt.api_version
    if args.json:
        dump(
            [
                {"version": v.version, "status": v.status, "sunset_date": v.sunset_date}
                for v in found
            ],
            out,
        )
        return EXIT_OK
    rows = [
        (v.version, v.status, v.sunset_date, "yes" if v.version == pinned else "") for v in found
    ]
    print(table(rows, ("version", "status", "sunset", "pinned")), file=out)
    return EXIT_OK


def migrate(args: Args, out: TextIO) -> int:
    """Answer from ``_migration.MIGRATIONS``; no client, no credentials."""
    from ._migration import explain, markdown_table

    if args.markdown:
        print(markdown_table(), file=out)
        return EXIT_OK
    if not args.method or not args.path:
        raise InvalidInputError("give a method and a classic path: qrt migrate GET /jobs/{id}")
    answer = explain(args.method, args.path)
    if answer is None:
        print(
            f"{args.method.upper()} {args.path} is not in IBM's migration tables, nor a route "
            "of the new API (with or without /v1); qrt migrate --markdown lists them all",
            file=sys.stderr,
        )
        return EXIT_USAGE
    print(answer, file=out)
    return EXIT_OK
