"""Every default of the emulator in one place.

The account, instance and user identities are made up; they only need the shapes of the real
ones (a CRN with a 32-hex account id and a UUID instance, an ``IBMid-`` user), so that clients
which parse them (region from the CRN, account id for ``/v1/accounts/{id}``) work unchanged.
"""

from __future__ import annotations

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000

DEFAULT_API_KEY = "emulator-api-key-0000"
DEFAULT_ACCOUNT_ID = "e7c4b2f9a1d84c6e9b3f0a5d2c8e1f47"
DEFAULT_INSTANCE_ID = "5b0f2d3e-8c1a-4f6b-9d2e-7a4c1b3e5f60"
DEFAULT_CRN = (
    "crn:v1:bluemix:public:quantum-computing:us-east:"
    f"a/{DEFAULT_ACCOUNT_ID}:{DEFAULT_INSTANCE_ID}::"
)
DEFAULT_USER_ID = "IBMid-EMU0000001"
DEFAULT_PLAN_ID = "emulator-flex-plan"
DEFAULT_SUBSCRIPTION_ID = "0d6f4c52-3b1e-4a7d-9c8b-2f5e6a1d7b30"
DEFAULT_SUBSCRIPTION_NAME = "Emulator subscription"

# IAM access tokens live one hour on IBM Cloud.
DEFAULT_TOKEN_TTL_SECONDS = 3600

# Long enough that a client sees Queued and Running when it polls, short enough for a demo.
DEFAULT_QUEUED_SECONDS = 0.5
DEFAULT_RUNNING_SECONDS = 0.5

# "rate limited to 5 jobs per minute per user" (create_job description in the spec).
JOB_RATE_LIMIT = 5
JOB_RATE_WINDOW_SECONDS = 60.0

# A statevector of 2**20 amplitudes is 16 MiB; beyond that the emulator refuses rather than
# swapping the machine to death.
DEFAULT_MAX_QUBITS = 20

SAMPLER_DEFAULT_SHOTS = 4096
ESTIMATOR_DEFAULT_PRECISION = 0.015625
ESTIMATOR_NUM_RANDOMIZATIONS = 32

SESSION_MAX_TTL_SECONDS = 28800
SESSION_INTERACTIVE_TTL_SECONDS = 60
JOB_MAX_COST_SECONDS = 10800
# GET /v1/backends?fields=: the spec's enum.
BACKEND_FIELDS = ("wait_time_seconds",)
# /v1/analytics/usage_grouped_by_date answers one row per day: a longer interval is refused (400)
# rather than built (200 years were 73,049 rows, 53 MB, and stalled every other request).
ANALYTICS_MAX_DAYS = 366
# 1,000 hours a month: large enough that a long-lived emulator (each job counts 1 s plus its
# shots) does not reach it by accident; the usage-limit scenario reaches it on purpose.
USAGE_ALLOCATION_SECONDS = 3_600_000
USAGE_LIMIT_SECONDS = 3_600_000

# (version, sunset date or None, status), oldest first: what /v1/versions lists by default
# (EmulatorConfig.api_versions replaces it). The server answers with the newest behaviour not after
# the requested date; an omitted header means the oldest, as documented.
ApiVersionEntry = tuple[str, str | None, str]
API_VERSIONS: tuple[ApiVersionEntry, ...] = (
    ("2024-01-01", "2027-01-01", "deprecated"),
    ("2025-01-01", "2027-01-01", "deprecated"),
    ("2025-05-01", "2027-01-01", "deprecated"),
    ("2026-02-01", "2027-02-01", "deprecated"),
    ("2026-02-15", "2027-02-15", "deprecated"),
    ("2026-03-15", None, "live"),
    ("2026-04-15", None, "live"),
)
NEWEST_API_VERSION = API_VERSIONS[-1][0]  # the one qiskit-runtime-rest and qiskit-ibm-runtime send
API_VERSION_STATUSES = ("live", "deprecated")
# Versions where a response shape changes (api-inventory section 10).
VERSION_BACKEND_DEVICE_OBJECTS = "2025-01-01"
VERSION_USAGE_V3 = "2026-03-15"
VERSION_METRICS_ROOT_EXECUTION_TIME = "2026-04-15"

MORE_INFO_URL = "https://quantum.cloud.ibm.com/docs/errors"
