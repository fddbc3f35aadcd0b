"""A local HTTP server speaking the Qiskit Runtime REST API (install the ``[local]`` extra).

    from qiskit_runtime_emulator import Emulator

    with Emulator(port=0) as emu:
        ...  # emu.base_url, emu.iam_url, emu.api_key, emu.crn

``python -m qiskit_runtime_emulator --port 8000`` serves it to any client in any language.
"""

from ._app import create_app
from ._config import EmulatorConfig, Faults, JobDelays, JobFailure
from ._constants import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_API_KEY,
    DEFAULT_CRN,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_USER_ID,
)
from ._journal import Journal, JournalEntry
from ._server import Emulator

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_API_KEY",
    "DEFAULT_CRN",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DEFAULT_USER_ID",
    "Emulator",
    "EmulatorConfig",
    "Faults",
    "JobDelays",
    "JobFailure",
    "Journal",
    "JournalEntry",
    "create_app",
]
