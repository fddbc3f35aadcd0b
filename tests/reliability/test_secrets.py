"""A secrets scan: an API key, a token and a password of known text never show anywhere.

Places scanned, for each case: ``str`` and ``repr`` of the error, the traceback formatted with
every frame's locals (what ``pytest -l`` and crash reporters print), every log record of
``qiskit_runtime_rest``, ``httpx`` and ``httpcore`` at DEBUG, ``repr`` of the client, the CLI's
output, and a cassette recorded with ``qiskit_runtime_rest.testing.vcr_config()``. A finding is
any of the known secrets (or one line of a multi-line one), or any JWT (``eyJ...``: the live
IAM token the emulator issued, whose text the test does not know).

Cases: an API key IAM refuses; an API key IAM accepts, then an API error raised in the auth
flow; a bearer token with a newline in it (pasted, line-wrapped); a password in ``base_url``; a
malformed saved-account file; ``qrt demo`` with the key in the environment; a cassette.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import socket
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from qiskit_runtime_emulator import Emulator, JobDelays
from qiskit_runtime_rest import QiskitRuntimeError, RuntimeClient

API_KEY = "qrr-secret-api-key-5e1f0c9d7b"
TOKEN = "qrr-secret-bearer-token-3a8c2e"
WRAPPED_TOKEN = "qrr-secret-wrapped-61f0\nqrr-secret-line-two-c4d2"
PASSWORD = "qrr-secret-password-77aa"
SECRETS = (API_KEY, TOKEN, *WRAPPED_TOKEN.split("\n"), PASSWORD)
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
LOGGERS = ("qiskit_runtime_rest", "httpx", "httpcore")


def findings(where: str, text: str) -> list[str]:
    """Which secrets ``text`` holds, named without the value (a failure must not leak it)."""
    found = [f"{where}: secret #{SECRETS.index(s)}" for s in SECRETS if s in text]
    if JWT.search(text):
        found.append(f"{where}: a JWT")
    return found


def _safe_repr(value: object) -> str:
    try:
        return repr(value)
    except Exception as exc:  # a half-built third-party object; pytest's saferepr does the same
        return f"<repr failed: {type(exc).__name__}>"


def traceback_with_locals(exc: BaseException) -> str:
    """The traceback of ``exc`` and of every exception chained to it, each frame with its
    locals, as ``pytest -l`` prints them (``scan``'s own frame holds only the call made)."""
    parts = ["".join(traceback.format_exception(exc))]
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        pending += [current.__cause__, current.__context__]
        tb = current.__traceback__
        while tb is not None:
            for name, value in tb.tb_frame.f_locals.items():
                parts.append(f"{tb.tb_frame.f_code.co_name}: {name} = {_safe_repr(value)}")
            tb = tb.tb_next
    return "\n".join(parts)


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], str]]:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    yield lambda: "\n".join(formatter.format(record) for record in caplog.records)


def scan(call: Callable[[], Any], logs: Callable[[], str]) -> tuple[BaseException, list[str]]:
    """Run ``call``, which must raise a QiskitRuntimeError; scan all that the failure shows."""
    try:
        call()
    except QiskitRuntimeError as exc:
        error = exc
    else:
        pytest.fail("the call did not fail")
    found = [
        *findings("str(error)", str(error)),
        *findings("repr(error)", repr(error)),
        *findings("traceback with locals", traceback_with_locals(error)),
        *findings("DEBUG logs", logs()),
    ]
    return error, found


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(api_keys=(API_KEY,), job_delays=JobDelays(0.02, 0.02), seed=1) as server:
        yield server


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_an_api_key_iam_refuses(debug_logs: Callable[[], str]) -> None:
    with Emulator() as other:  # knows only its default key
        rt = RuntimeClient(
            api_key=API_KEY, crn=other.crn, base_url=other.base_url, iam_url=other.iam_url
        )
        with rt:
            _, found = scan(rt.backends.list, debug_logs)
            found += findings("repr(client)", repr(rt))
    assert found == []


def test_an_api_error_raised_in_the_auth_flow_with_a_live_token(
    emu: Emulator, debug_logs: Callable[[], str]
) -> None:
    rt = RuntimeClient(api_key=API_KEY, crn=emu.crn, base_url=emu.base_url, iam_url=emu.iam_url)
    with rt:
        rt.backends.list()  # a live token now
        _, found = scan(lambda: rt.jobs.get("dc6gnotthere00000000").status(), debug_logs)
        found += findings("repr(client)", repr(rt))
    assert found == []


def test_a_bearer_token_with_a_newline(emu: Emulator, debug_logs: Callable[[], str]) -> None:
    def call() -> None:
        with RuntimeClient(bearer_token=WRAPPED_TOKEN, crn=emu.crn, base_url=emu.base_url) as rt:
            rt.backends.list()

    _, found = scan(call, debug_logs)
    assert found == []


def test_a_password_in_base_url(debug_logs: Callable[[], str]) -> None:
    base_url = f"http://user:{PASSWORD}@127.0.0.1:{_closed_port()}/api"
    rt = RuntimeClient(bearer_token=TOKEN, crn=_crn(), base_url=base_url, max_retries=1)
    with rt:
        _, found = scan(rt.backends.list, debug_logs)
        found += findings("repr(client)", repr(rt))
    assert found == []


def test_a_malformed_saved_account_file(tmp_path: Path, debug_logs: Callable[[], str]) -> None:
    saved = tmp_path / "qiskit-ibm.json"
    saved.write_text(
        '{"default-ibm-quantum-platform": {"channel": "ibm_quantum_platform", '
        f'"token": "{API_KEY}", "instance": "{_crn()}", '  # and no closing braces
    )
    _, found = scan(lambda: RuntimeClient.from_saved_account(filename=str(saved)), debug_logs)
    assert found == []


def test_cli_output(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch, debug_logs: Callable[[], str]
) -> None:
    from qiskit_runtime_rest._cli import main

    outputs = []
    for key in (API_KEY, TOKEN):  # accepted, then refused by IAM
        monkeypatch.setenv("QISKIT_IBM_TOKEN", key)
        monkeypatch.setenv("QISKIT_IBM_INSTANCE", emu.crn)
        monkeypatch.setenv("QISKIT_IBM_URL", emu.base_url)
        monkeypatch.setenv("IAM_URL", emu.iam_url)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["demo", "--shots", "20"])
        outputs.append((code, out.getvalue() + err.getvalue()))
    assert [code for code, _ in outputs] == [0, 1]
    assert "error:" in outputs[1][1]
    found = [f for _, text in outputs for f in findings("CLI output", text)]
    assert found + findings("DEBUG logs", debug_logs()) == []


def test_a_recorded_cassette(emu: Emulator, tmp_path: Path) -> None:
    vcr = pytest.importorskip("vcr")
    from qiskit_runtime_rest.testing import find_secrets, vcr_config

    cassette = tmp_path / "recorded.yaml"
    config = vcr_config()
    config.pop("allowed_hosts")  # pytest-recording's key, not vcrpy's
    recorder = vcr.VCR(**config)
    with recorder.use_cassette(str(cassette), record_mode="all"):
        with RuntimeClient(
            api_key=API_KEY, crn=emu.crn, base_url=emu.base_url, iam_url=emu.iam_url
        ) as rt:
            rt.backends.list()
            rt.jobs.run_sampler("ibm_fez", ["OPENQASM 3.0; bit[1] c; c[0] = measure $0;"]).wait()
        with (
            RuntimeClient(bearer_token=TOKEN, crn=emu.crn, base_url=emu.base_url) as rt,
            contextlib.suppress(QiskitRuntimeError),
        ):
            rt.backends.list()  # 401: the emulator never issued this token
    text = cassette.read_text()
    assert "/identity/token" in text and "authorization" in text.lower()
    assert findings("cassette", text) == []
    assert find_secrets(text) == []


def _crn() -> str:
    from qiskit_runtime_emulator import DEFAULT_CRN

    return DEFAULT_CRN
