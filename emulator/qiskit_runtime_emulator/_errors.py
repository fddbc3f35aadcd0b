"""Error bodies in the three shapes the real service uses, and the exception that carries them.

* ``ErrorContainer`` (jobs, sessions, instance, accounts, tags, backends): a string ``code``.
* ``GenericErrorDto`` (workloads, analytics, instance usage): a numeric ``code`` plus ``solution``.
* IAM's own body for ``/identity/token``.

The numeric codes follow IBM's error registry (quantum.cloud.ibm.com/docs/errors) where it has
one; ``docs/emulator-notes.md`` lists which ones are evidenced and which are the emulator's choice.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from ._constants import MORE_INFO_URL

__all__ = [
    "JOB_REASONS",
    "ApiError",
    "Code",
    "ErrorStyle",
    "error_body",
    "iam_error_body",
    "job_reason",
]


class ErrorStyle(Enum):
    CONTAINER = "container"
    GENERIC = "generic"


class Code:
    """(code, message, solution) triples; the message may be extended per error."""

    INTERNAL = (1000, "API Internal error.", "Try the action again.")
    VALIDATION = (
        1002,
        "Error in the validation process of the job.",
        "Check the Job, it is not valid to run on this backend.",
    )
    BACKEND_NOT_FOUND = (
        1007,
        "Backend not found.",
        "Verify that the correct backend name was specified.",
    )
    NOT_AUTHORIZED = (
        1200,
        "You are not authorized to perform this action.",
        "Try again or contact support.",
    )
    INVALID_CREDENTIALS = (
        1201,
        "Invalid credentials.",
        "Verify your credentials and try again.",
    )
    TOO_MANY_REQUESTS = (
        1202,
        "Too many requests.",
        "Wait and try again: the limit is 5 jobs per minute.",
    )
    TOO_MANY_TAGS = (1204, "Invalid tags.", "Use at most 8 tags of at most 86 characters each.")
    SESSION_CLOSED = (
        1217,
        "Session is closed and is not accepting jobs.",
        "Create a new session.",
    )
    AUTHENTICATION = (1219, "Error authenticating user.", "Send a valid bearer token.")
    JOB_NOT_FOUND = (1291, "Job not found.", "Verify the job ID.")
    JOB_NOT_CANCELLABLE = (
        1292,
        "Job cannot be cancelled in its current status.",
        "Only queued or running jobs can be cancelled.",
    )
    JOB_NOT_FINAL = (
        1293,
        "Job cannot be deleted before it reaches a final status.",
        "Cancel the job or wait for it to finish.",
    )
    SESSION_NOT_FOUND = (1294, "Session not found.", "Verify the session ID.")
    ACCOUNT_NOT_FOUND = (1295, "Account not found.", "Verify the account ID.")
    USAGE_LIMIT = (
        1296,
        "The instance usage limit has been reached.",
        "Raise the instance limit or wait for the next usage period.",
    )
    BAD_REQUEST = (1297, "Invalid request.", "Check the request parameters and body.")
    PROGRAM_NOT_FOUND = (1298, "Program not found.", "Use sampler or estimator.")
    TOO_MANY_PENDING_JOBS = (
        1299,
        "The maximum number of pending jobs has been reached.",
        "Wait for queued jobs to finish, or cancel some, then submit again.",
    )
    # IBM's wording for a job whose circuits are not ISA circuits (the 2024-05-06 announcement
    # "Understanding the new ISA circuits requirement"); the emulator appends which instruction
    # failed, in qiskit-ibm-runtime's own words for the same check.
    NON_ISA = (
        1517,
        "Circuits do not match the target definition (non-ISA circuits).",
        "Transpile the circuits for this backend (its basis gates and coupling map), for example "
        "with qiskit's generate_preset_pass_manager or the transpiler service, then submit them.",
    )
    RAN_TOO_LONG = (
        1305,
        "Job ran longer than the maximum execution time.",
        "Split the work into smaller jobs or raise max_execution_time.",
    )


# Reason codes a job can end with, as IBM's registry words them (quantum.cloud.ibm.com/docs/errors).
JOB_REASONS: dict[int, tuple[int, str, str]] = {
    code[0]: code
    for code in (
        Code.INTERNAL,
        Code.VALIDATION,
        (1003, "Error in transpilation process.", "Ensure your quantum circuit is valid."),
        (1004, "The Backend is not available.", "Use another backend to run the job."),
        (1005, "Basis gates not available.", "Use another backend with basis gates."),
        (1008, "Error during the validation process of the job.", "Retry the action."),
        (1009, "Required backend information not found.", "Use another backend to run the job."),
        (1010, "Error returned at backend level.", "Retry the action."),
        (1011, "Error publishing job at the backend queue.", "Retry the action."),
        Code.NON_ISA,
        Code.RAN_TOO_LONG,
    )
}


def job_reason(reason_code: int) -> tuple[int, str, str]:
    """(code, message, solution) for a job failing with ``reason_code``."""
    return JOB_REASONS.get(
        reason_code, (reason_code, f"The job failed (reason code {reason_code}).", "Retry the job.")
    )


class ApiError(Exception):
    """Raised by handlers; the app turns it into the route's error body."""

    def __init__(
        self,
        status: int,
        code: tuple[int, str, str],
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.code, base_message, self.solution = code
        self.message = f"{base_message} {detail}" if detail else base_message
        self.headers = headers or {}
        super().__init__(f"{status} {self.code}: {self.message}")


def error_body(error: ApiError, style: ErrorStyle) -> dict[str, Any]:
    trace = str(uuid.uuid4())
    if style is ErrorStyle.GENERIC:
        return {
            "errors": [
                {
                    "code": error.code,
                    "message": error.message,
                    "solution": error.solution,
                    "more_info": MORE_INFO_URL,
                }
            ],
            "trace": trace,
        }
    return {
        "trace": trace,
        "errors": [{"code": str(error.code), "message": error.message, "more_info": MORE_INFO_URL}],
    }


def iam_error_body(error_code: str, message: str, url: str) -> dict[str, Any]:
    """IAM's 400 body, e.g. BXNIM0415E "Provided API key could not be found."."""
    now = datetime.now(UTC)
    stamp = now.strftime("%d.%m.%Y %H:%M:%S:%f")[:-3] + " UTC"
    return {
        "errorCode": error_code,
        "errorMessage": message,
        "context": {
            "requestId": uuid.uuid4().hex,
            "requestType": "incoming.Identity_Token",
            "userAgent": "",
            "url": url,
            "instanceId": "iamid-emulator",
            "threadId": "1",
            "host": "iam-emulator",
            "startTime": stamp,
            "endTime": stamp,
            "elapsedTime": "0",
            "locale": "en_US",
            "clusterName": "iam-id-emulator",
        },
    }
