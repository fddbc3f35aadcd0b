"""Every default the facade relies on, in one place.

Timeouts, retry counts, backoff caps and token-refresh fractions are tuning knobs a user may need
to look up; keeping them here means the docs and the code cannot disagree.
"""

from __future__ import annotations

from typing import Final

import httpx

from ._version import __version__

# The newest documented version (IBM's changelog; qiskit-ibm-runtime's main branch sends it too).
# Response shapes depend on it (inventory §10), so it is sent on every call, never left to the
# server. Moving it: docs/api-changes.md. `rt.versions()` warns when the service lists a newer one.
DEFAULT_API_VERSION: Final = "2026-04-15"

USER_AGENT: Final = f"qiskit-runtime-rest/{__version__}"

# Hosts. qiskit-ibm-runtime stores the *IBM Cloud* URL (https://cloud.ibm.com) in saved accounts and
# derives the API and IAM hosts from it; a "staging" CRN means IBM's test cloud.
DEFAULT_CLOUD_HOST: Final = "cloud.ibm.com"
DEFAULT_CLOUD_URL: Final = f"https://{DEFAULT_CLOUD_HOST}"
STAGING_CLOUD_HOST: Final = "test.cloud.ibm.com"
DEFAULT_REGION: Final = "us-east"  # the one region served without a host prefix
IAM_TOKEN_PATH: Final = "/identity/token"
IAM_GRANT_TYPE: Final = "urn:ibm:params:oauth:grant-type:apikey"

# Routes that need neither a token nor a CRN (inventory §1): calling IAM for them is wasted time.
UNAUTHENTICATED_PATH_SUFFIXES: Final = ("/v1/versions",)

# Timeouts, in seconds.
DEFAULT_CONNECT_TIMEOUT: Final = 10.0
DEFAULT_READ_TIMEOUT: Final = 60.0
DEFAULT_WRITE_TIMEOUT: Final = 60.0
DEFAULT_POOL_TIMEOUT: Final = 10.0
DEFAULT_TIMEOUT: Final = httpx.Timeout(
    connect=DEFAULT_CONNECT_TIMEOUT,
    read=DEFAULT_READ_TIMEOUT,
    write=DEFAULT_WRITE_TIMEOUT,
    pool=DEFAULT_POOL_TIMEOUT,
)
IAM_TIMEOUT: Final = httpx.Timeout(30.0, connect=DEFAULT_CONNECT_TIMEOUT)

DEFAULT_CONNECTION_LIMITS: Final = httpx.Limits(max_connections=20, max_keepalive_connections=10)

# Retries. The delay before retry n (0-based) is min(INITIAL * 2**n, MAX) times a jitter factor in
# [1 - JITTER, 1], unless the server sent Retry-After.
DEFAULT_MAX_RETRIES: Final = 3
# A 429 means the server did not take the request, so any method (POST /v1/jobs included) is
# retried after one, honouring Retry-After; a bulk submission slows down instead of failing.
MAX_RATE_LIMIT_RETRIES: Final = 8
INITIAL_RETRY_DELAY: Final = 0.5
MAX_RETRY_DELAY: Final = 8.0
RETRY_JITTER: Final = 0.25
# A Retry-After longer than this means "come back much later", not "sleep inside this call".
MAX_RETRY_AFTER: Final = 60.0
RETRYABLE_STATUS_CODES: Final = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 524})
IDEMPOTENT_METHODS: Final = frozenset({"GET", "PUT", "DELETE", "HEAD", "OPTIONS"})

# IAM token lifetime policy (as IBM's own ibm-cloud-sdk-core): refresh in the background of normal
# use once this fraction of the lifetime has passed, and count the token expired this long before
# its stated end (capped at a tenth of the lifetime for very short-lived tokens).
TOKEN_REFRESH_FRACTION: Final = 0.8
TOKEN_EXPIRY_MARGIN: Final = 60.0
TOKEN_EXPIRY_MARGIN_MAX_FRACTION: Final = 0.1
# Used only if IAM's answer lacks expires_in: the lifetime IAM documents.
DEFAULT_TOKEN_LIFETIME: Final = 3600.0
# After a failed early refresh (the old token still valid) wait this long before trying again.
TOKEN_REFRESH_RETRY_INTERVAL: Final = 30.0

# Saved accounts: the file qiskit-ibm-runtime writes, and its default entry names.
DEFAULT_ACCOUNT_FILE: Final = "~/.qiskit/qiskit-ibm.json"
DEFAULT_ACCOUNT_NAMES: Final = ("default-ibm-quantum-platform", "default-ibm-cloud")
SUPPORTED_CHANNELS: Final = frozenset({"ibm_quantum_platform", "ibm_cloud"})

# Environment variables, as qiskit-ibm-runtime names them.
ENV_TOKEN: Final = "QISKIT_IBM_TOKEN"
ENV_INSTANCE: Final = "QISKIT_IBM_INSTANCE"
ENV_URL: Final = "QISKIT_IBM_URL"
ENV_IAM_URL: Final = "IAM_URL"

# --- jobs: waiting and submitting ---

# Poll schedule: 0.5 s, growing by half each round up to 10 s, each delay shortened by up to 10 %
# so that many clients started together do not poll in lock-step.
INITIAL_POLL_INTERVAL: Final = 0.5
POLL_BACKOFF_FACTOR: Final = 1.5
MAX_POLL_INTERVAL: Final = 10.0
POLL_JITTER: Final = 0.1
# A single status request never waits longer than this for its answer, or less: a request cut to
# the few milliseconds left of a wait would only turn a late answer into a useless error.
MIN_POLL_REQUEST_TIMEOUT: Final = 1.0
# With no deadline, a waiter keeps polling through an outage (each poll already retried by the
# transport) for this many seconds of nothing but failures, then gives up rather than spin
# forever. A restart of the service, or of the emulator, fits well inside it.
MAX_OUTAGE: Final = 120.0
# wait_all's poll interval stops growing here: a round costs a few listing pages whatever the
# number of jobs, so it can afford to look often and return soon after the last job ends.
WAIT_ALL_MAX_INTERVAL: Final = 2.0
# How far a client's clock may be off the server's when a listing is narrowed by creation time.
LISTING_CLOCK_SKEW: Final = 600.0
# A job a narrowed listing missed this many rounds in a row is polled on its own.
LISTING_MISSES_BEFORE_POLL: Final = 2

IDEMPOTENCY_TAG_PREFIX: Final = "qrr-idem-"
LIST_PAGE_SIZE: Final = 200  # the API's maximum
# After an ambiguous POST, a job that was created may take a moment to show up in the listing:
# look twice, this far apart, before concluding that it does not exist.
IDEMPOTENCY_LOOKUP_SETTLE: Final = 2.0
# Lookups of a session whose creation answer was lost (GET /v1/workloads), that far apart.
SESSION_LOOKUPS: Final = 3
# The httpx request extension that marks a POST or PATCH as safe to repeat (closing a session).
IDEMPOTENT_EXTENSION: Final = "qiskit_runtime_rest.idempotent"
# After a submission timed out, the server may still be processing it: the tag is looked up until
# this many read timeouts have passed since the request was sent, so that whatever timeout the
# user sets, a slow server's job is found instead of being submitted a second time.
IDEMPOTENCY_LOOKUP_TIMEOUTS: Final = 3.0
MAX_SUBMIT_ATTEMPTS: Final = 2
# Waiting for results after a job completed (a 204 from /results) uses the poll schedule; with no
# timeout given it still stops after this long, since a completed job's results are due promptly.
RESULTS_GRACE_PERIOD: Final = 120.0

# Transpilation. A Target for "the current calibration" is re-checked (two document requests)
# after this long; IBM recalibrates devices about daily, so minutes lose nothing.
TARGET_MAX_AGE: Final = 600.0
# IBM's transpiler service: another host than the API, with no region in its name. The variable
# is the one qiskit-ibm-transpiler reads for the same purpose.
TRANSPILER_URL: Final = "https://cloud-transpiler.quantum.ibm.com"
ENV_TRANSPILER_URL: Final = "QISKIT_IBM_TRANSPILER_URL"
# The service's task states (GET /transpile/{task_id}); anything else is still running.
TRANSPILER_SUCCESS: Final = "SUCCESS"
TRANSPILER_FAILURE: Final = "FAILURE"
