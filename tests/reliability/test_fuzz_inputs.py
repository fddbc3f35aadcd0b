"""A hypothesis fuzz of every public input: only ``InvalidInputError``, and nothing sent.

Each test drives one kind of input (PUBs, observables, options, tags, CRNs, ids, timeouts,
shots) into the sync client, whose transport is an ``httpx.MockTransport`` that records the
request and raises ``Sent``. The rule, for every generated value:

* ``InvalidInputError`` -> nothing was sent;
* the request was sent -> the input was accepted (what the server would say is not the question
  here), and an id went into the URL as exactly one path segment (``.``, ``..`` and ``""`` must
  not collapse into another route);
* anything else (``TypeError``, ``OverflowError``, ``ValueError``, ``RecursionError``,
  ``UnicodeEncodeError``, ``httpx.InvalidURL``, ...) fails the test.

Bounded: ``EXAMPLES`` per test (derandomized, no example database), about 10 s in all. The
values issue 10 names are pinned with ``@example`` so they are always tried.
"""

from __future__ import annotations

import decimal
import math
import re
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from qiskit_runtime_rest import InvalidInputError, Job, RuntimeClient, Session

EXAMPLES = 60
CRN = (
    "crn:v1:bluemix:public:quantum-computing:us-east:a/e7c4b2f9a1d84c6e9b3f0a5d2c8e1f47:"
    "5b0f2d3e-8c1a-4f6b-9d2e-7a4c1b3e5f60::"
)
QASM = 'OPENQASM 3.0; include "stdgates.inc"; bit[1] c; x $0; c[0] = measure $0;'
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Sent(Exception):
    """Raised by the mock transport: the input was accepted and a request left the facade."""


class Recorder:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        raise Sent(request.method, str(request.url))


@pytest.fixture
def mock() -> Iterator[tuple[RuntimeClient, Recorder]]:
    recorder = Recorder()
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    rt = RuntimeClient(
        bearer_token="fuzz-token",
        crn=CRN,
        base_url="http://127.0.0.1:9/api",
        http_client=http,
        max_retries=0,
    )
    try:
        yield rt, recorder
    finally:
        rt.close()
        http.close()


def outcome(recorder: Recorder, call: Callable[[], Any]) -> list[httpx.Request]:
    """Run ``call``; fail unless it raised InvalidInputError having sent nothing, or sent."""
    recorder.requests.clear()
    try:
        call()
    except InvalidInputError:
        assert recorder.requests == [], "InvalidInputError after a request was sent"
        return []
    except Sent:
        return list(recorder.requests)
    except BaseException as exc:
        if recorder.requests:  # accepted and sent; what followed is not this test's concern
            return list(recorder.requests)
        pytest.fail(f"{type(exc).__name__} instead of InvalidInputError: {exc!r:.300}")
    return list(recorder.requests)


# ---------------------------------------------------------------------------- strategies

NASTY_FLOATS = st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -0.0, 5e-324])
NASTY_NUMBERS = st.one_of(
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    NASTY_FLOATS,
    st.complex_numbers(max_magnitude=1e6),
    st.fractions(max_denominator=50),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.booleans(),
)
NASTY_TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", ".", "..", "/", "a/b", "%2e%2e", "\n", "x\ny", "\ud800", "a\udfff", " "]),
)
SCALARS = st.one_of(st.none(), NASTY_NUMBERS, NASTY_TEXT, st.binary(max_size=8))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(NASTY_TEXT, inner, max_size=3),
        st.sets(st.integers(), max_size=3),
    ),
    max_leaves=12,
)


def nested(depth: int) -> Any:
    value: Any = 0.5
    for _ in range(depth):
        value = [value]
    return value


DEEP = nested(3000)

# ---------------------------------------------------------------------------------- tests


@FUZZ
@given(pubs=st.one_of(VALUES, st.lists(st.one_of(st.just(QASM), VALUES), max_size=3)))
@example(pubs=[(QASM, [Fraction(1, 3)])])
@example(pubs=[(QASM, [10**400])])
@example(pubs=[(QASM, [math.nan])])
@example(pubs=[(QASM, DEEP)])
@example(pubs=["OPENQASM 3.0; \ud800"])
@example(pubs=[(QASM, [decimal.Decimal("sNaN")])])
def test_sampler_pubs(mock: tuple[RuntimeClient, Recorder], pubs: Any) -> None:
    rt, recorder = mock
    outcome(recorder, lambda: rt.jobs.run_sampler("ibm_fez", pubs))


@FUZZ
@given(observables=VALUES, precision=st.one_of(st.none(), NASTY_NUMBERS, NASTY_TEXT))
@example(observables={"ZZ": math.nan}, precision=None)
@example(observables={"ZZ": math.inf}, precision=None)
@example(observables={"ZZ": 1}, precision=10**400)
@example(observables={"ZZ": complex(1, 2)}, precision=None)
def test_estimator_observables_and_precision(
    mock: tuple[RuntimeClient, Recorder], observables: Any, precision: Any
) -> None:
    rt, recorder = mock
    outcome(
        recorder,
        lambda: rt.jobs.run_estimator("ibm_fez", [(QASM, observables)], precision=precision),
    )


@FUZZ
@given(options=st.one_of(VALUES, st.dictionaries(NASTY_TEXT, VALUES, max_size=3)))
@example(options=[("default_shots", 100)])
@example(options={"default_shots": math.nan})
@example(options={"twirling": {"enable_gates": complex(1, 0)}})
def test_options(mock: tuple[RuntimeClient, Recorder], options: Any) -> None:
    rt, recorder = mock
    outcome(recorder, lambda: rt.jobs.run_sampler("ibm_fez", [QASM], options=options))


@FUZZ
@given(tags=st.one_of(VALUES, st.lists(NASTY_TEXT, max_size=9)))
@example(tags=5)
@example(tags=["\ud800"])
@example(tags=["ok", "x" * 87])
def test_tags(mock: tuple[RuntimeClient, Recorder], tags: Any) -> None:
    rt, recorder = mock
    outcome(recorder, lambda: rt.jobs.run_sampler("ibm_fez", [QASM], tags=tags))


@FUZZ
@given(crn=st.one_of(NASTY_TEXT, SCALARS, st.builds(lambda tail: CRN + tail, NASTY_TEXT)))
@example(crn=CRN + "\n")
@example(crn=CRN.replace("us-east", "us-east\n"))
def test_crns(crn: Any) -> None:
    recorder = Recorder()
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    try:

        def build_and_call() -> None:
            rt = RuntimeClient(bearer_token="fuzz-token", crn=crn, http_client=http)
            rt.backends.list()

        outcome(recorder, build_and_call)
    finally:
        http.close()


ID_CALLS: dict[str, tuple[str, Callable[[RuntimeClient, Any], Any]]] = {
    "jobs.get": (r"/api/v1/jobs/[^/]+", lambda rt, i: rt.jobs.get(i)),
    "job.cancel": (r"/api/v1/jobs/[^/]+/cancel", lambda rt, i: Job(rt, i).cancel()),
    "job.delete": (r"/api/v1/jobs/[^/]+", lambda rt, i: Job(rt, i).delete()),
    "job.logs": (r"/api/v1/jobs/[^/]+/logs", lambda rt, i: Job(rt, i).logs()),
    "session.close": (r"/api/v1/sessions/[^/]+", lambda rt, i: Session(rt, i).close()),
    "sessions.get": (r"/api/v1/sessions/[^/]+", lambda rt, i: rt.sessions.get(i)),
    "backends.status": (r"/api/v1/backends/[^/]+/status", lambda rt, i: rt.backends.status(i)),
    "accounts.get": (r"/api/v1/accounts/[^/]+", lambda rt, i: rt.accounts.get(i)),
}


@pytest.mark.parametrize("call", sorted(ID_CALLS))
@FUZZ
@given(identifier=st.one_of(NASTY_TEXT, SCALARS))
@example(identifier=".")
@example(identifier="..")
@example(identifier="")
@example(identifier=123)
def test_ids(mock: tuple[RuntimeClient, Recorder], call: str, identifier: Any) -> None:
    rt, recorder = mock
    pattern, invoke = ID_CALLS[call]
    for request in outcome(recorder, lambda: invoke(rt, identifier)):
        path = request.url.raw_path.decode("ascii").split("?", 1)[0]
        assert re.fullmatch(pattern, path), f"{identifier!r} was sent as {path}"


@FUZZ
@given(timeout=st.one_of(st.none(), NASTY_NUMBERS, NASTY_TEXT))
@example(timeout="5")
@example(timeout=10**400)
@example(timeout=math.nan)
def test_wait_timeouts(mock: tuple[RuntimeClient, Recorder], timeout: Any) -> None:
    rt, recorder = mock
    job: Job[Any] = Job(rt, "dc6gfk36t60euhlvsh70")
    sent = outcome(recorder, lambda: job.wait(timeout=timeout))
    if sent and isinstance(timeout, float) and math.isnan(timeout):
        pytest.fail("a NaN timeout was accepted (it would never expire)")


@FUZZ
@given(shots=st.one_of(st.none(), NASTY_NUMBERS, NASTY_TEXT))
@example(shots=10**400)
@example(shots=-1)
@example(shots=True)
def test_shots(mock: tuple[RuntimeClient, Recorder], shots: Any) -> None:
    rt, recorder = mock
    outcome(recorder, lambda: rt.jobs.run_sampler("ibm_fez", [QASM], shots=shots))
    outcome(recorder, lambda: rt.jobs.run_sampler("ibm_fez", [(QASM, None, shots)]))


def test_numpy_integer_shots_are_accepted(mock: tuple[RuntimeClient, Recorder]) -> None:
    numpy = pytest.importorskip("numpy")
    rt, recorder = mock
    sent = outcome(recorder, lambda: rt.jobs.run_sampler("ibm_fez", [QASM], shots=numpy.int64(100)))
    assert sent and b'"shots":100' in sent[0].content.replace(b" ", b"")
