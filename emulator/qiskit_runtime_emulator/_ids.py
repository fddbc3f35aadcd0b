"""Identifiers and timestamps in the service's formats."""

from __future__ import annotations

import itertools
import os
import threading
import time
from datetime import UTC, datetime

__all__ = ["format_epoch", "format_time", "new_id", "parse_time"]

# Real job ids ("d6147q3traac73bef6f0") are xid-style: 12 bytes (time, random, counter) in
# lowercase base32hex, 20 characters, sortable by creation time.
_ALPHABET = "0123456789abcdefghijklmnopqrstuv"
_MACHINE = os.urandom(5)
_counter = itertools.count(int.from_bytes(os.urandom(3), "big"))
_lock = threading.Lock()


def new_id() -> str:
    with _lock:
        count = next(_counter) & 0xFFFFFF
    raw = int(time.time()).to_bytes(4, "big") + _MACHINE + count.to_bytes(3, "big")
    # Left-aligned like xid: 96 bits padded to 100, so the first character comes from the time.
    value = int.from_bytes(raw, "big") << 4
    chars = []
    for _ in range(20):
        chars.append(_ALPHABET[value & 0x1F])
        value >>= 5
    return "".join(reversed(chars))


def format_time(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a ``Z``, as the service writes timestamps."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def format_epoch(moment: float | None) -> str | None:
    """``format_time`` of a POSIX timestamp (None passes through)."""
    return None if moment is None else format_time(datetime.fromtimestamp(moment, UTC))


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 timestamp; naive values are taken as UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "+"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)
