"""pytest fixtures to test code that uses Qiskit Runtime against the local emulator.

Installed with the package (a ``pytest11`` entry point), so it loads in every pytest run of every
project that installs ``qiskit-runtime-rest``: importing this module loads only pytest and the
standard library. Starlette, uvicorn and qiskit load when a fixture is first used, and a fixture
used without the ``[local]`` extra fails with a message naming it.

Fixtures:

* ``qrt_emulator``: the running ``qiskit_runtime_emulator.Emulator``. One server per test
  session, reset before each test (no jobs, sessions, settings or journal left from another
  test), configured by the ``qrt_emulator`` marker and by ``indirect`` parametrization.
* ``qrt_client``: a ``RuntimeClient`` bound to it, closed after the test.
* ``qrt_async_client``: an ``AsyncRuntimeClient`` bound to it; open it in the test's own event
  loop with ``async with qrt_async_client as rt:``.

The marker takes ``Emulator`` options, for example::

    @pytest.mark.qrt_emulator(seed=7, strict_isa=False, job_delays=0.2,
                              faults={"error_rate": 0.3, "seed": 1},
                              fail_jobs=[{"reason_code": 1305}],
                              backend_states={"ibm_fez": "maintenance"},
                              usage_limit_reached=True, max_pending_jobs=2,
                              session_max_ttl=5, readout_noise=True)

Jobs take no time by default (``job_delays=0``); every test runs with the emulator's defaults
otherwise. ``@pytest.mark.parametrize("qrt_emulator", [{"seed": 1}], indirect=True)`` passes the
same options per parameter.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from qiskit_runtime_emulator import Emulator, EmulatorConfig

    from . import AsyncRuntimeClient, RuntimeClient

__all__ = ["qrt_async_client", "qrt_client", "qrt_emulator"]

MARKER = "qrt_emulator"
LOCAL_EXTRA_MODULES = ("starlette", "uvicorn", "qiskit")
_DEFAULT_JOB_DELAYS = 0.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**options): configure the qrt_emulator fixture (seed, strict_isa, job_delays, "
        "faults, readout_noise, fail_jobs, backend_states, usage_limit_reached, "
        "max_pending_jobs, session_max_ttl, ...)",
    )


def _require_local_extra() -> None:
    missing = [name for name in LOCAL_EXTRA_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        pytest.fail(
            "the qrt_emulator fixtures need the emulator, installed by the [local] extra: "
            f"pip install 'qiskit-runtime-rest[local]' (missing: {', '.join(missing)})",
            pytrace=False,
        )


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    options: dict[str, Any] = {}
    # Closest marker last: a test's marker overrides its class's and module's.
    for marker in reversed(list(request.node.iter_markers(MARKER))):
        if marker.args:
            raise pytest.UsageError(f"@pytest.mark.{MARKER} takes keyword options only")
        options.update(marker.kwargs)
    param = getattr(request, "param", None)
    if isinstance(param, Mapping):
        options.update(param)
    elif param is not None:
        raise pytest.UsageError(f"indirect parameters of {MARKER} must be dicts of options")
    return options


def _config(base: EmulatorConfig, options: dict[str, Any]) -> tuple[EmulatorConfig, bool]:
    """The emulator configuration for one test, and whether to start at the usage limit."""
    import dataclasses

    from qiskit_runtime_emulator import Faults, JobDelays, JobFailure

    options = dict(options)
    limit_reached = bool(options.pop("usage_limit_reached", False))
    delays = options.pop("job_delays", _DEFAULT_JOB_DELAYS)
    changes: dict[str, Any] = {
        "job_delays": delays
        if isinstance(delays, JobDelays)
        else JobDelays(queued=float(delays), running=float(delays))
    }
    faults = options.pop("faults", None)
    if faults is not None:
        changes["faults"] = faults if isinstance(faults, Faults) else Faults(**faults)
    failures = options.pop("fail_jobs", options.pop("job_failures", ()))
    if isinstance(failures, JobFailure | Mapping):
        failures = [failures]
    changes["job_failures"] = tuple(
        f if isinstance(f, JobFailure) else JobFailure(**f) for f in failures
    )
    if "api_keys" in options:
        options["api_keys"] = tuple(options["api_keys"])
    known = {field.name for field in dataclasses.fields(base)} - {"state_file"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise pytest.UsageError(
            f"unknown {MARKER} option(s) {', '.join(unknown)}; known: "
            f"{', '.join(sorted(known | {'fail_jobs', 'usage_limit_reached'}))}"
        )
    changes.update(options)
    return dataclasses.replace(base, **changes), limit_reached


@pytest.fixture(scope="session")
def _qrt_server() -> Iterator[Emulator]:
    _require_local_extra()
    from qiskit_runtime_emulator import Emulator

    with Emulator(job_delays=_DEFAULT_JOB_DELAYS) as emulator:
        yield emulator


@pytest.fixture
def qrt_emulator(request: pytest.FixtureRequest, _qrt_server: Emulator) -> Iterator[Emulator]:
    """The emulator, reset and configured for this test (marker and indirect parameters)."""
    from qiskit_runtime_emulator import EmulatorConfig

    config, limit_reached = _config(EmulatorConfig(), _options(request))
    _qrt_server.reset(config)
    if limit_reached:
        _qrt_server.reach_usage_limit()
    yield _qrt_server
    _qrt_server.reset()  # drop this test's jobs now rather than at the next test


def _settings(emulator: Emulator) -> dict[str, Any]:
    return {
        "api_key": emulator.api_key,
        "crn": emulator.crn,
        "base_url": emulator.base_url,
        "iam_url": emulator.iam_url,
    }


@pytest.fixture
def qrt_client(qrt_emulator: Emulator) -> Iterator[RuntimeClient]:
    """A ``RuntimeClient`` talking to ``qrt_emulator``."""
    from . import RuntimeClient

    with RuntimeClient(**_settings(qrt_emulator)) as client:
        client._transpiler_url = qrt_emulator.transpiler_url
        yield client


@pytest.fixture
def qrt_async_client(qrt_emulator: Emulator) -> Iterator[AsyncRuntimeClient]:
    """An ``AsyncRuntimeClient`` talking to ``qrt_emulator``: ``async with`` it in the test."""
    from . import AsyncRuntimeClient

    client = AsyncRuntimeClient(**_settings(qrt_emulator))
    client._transpiler_url = qrt_emulator.transpiler_url
    yield client
    # The test normally closed it in its own loop; if not, close what can still be closed.
    with contextlib.suppress(RuntimeError):
        asyncio.run(client.aclose())
