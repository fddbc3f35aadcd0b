"""Usage aggregates kept up to date as jobs are saved, so ``/v1/analytics/*`` cost the same at
any history.

Every job counts once per level of a fixed time grid (buckets of 1 s, 1 min, 1 h, 1 day, 16
days and 256 days, each width a multiple of the one below), under the ``(backend, user)`` slice
it belongs to. An interval ``[start, end)`` is covered by whole buckets, coarsest first, plus
the jobs of at most two partial seconds at its edges, so a query reads a bounded number of
buckets (and the few jobs created in its two edge seconds), never the history.

Sums are exact (Shewchuk's partials, rounded once by ``math.fsum``): the order in which jobs
arrive, finish or are merged never changes an answer. Maxima are kept in multisets, so a job
deleted or re-queued leaves them right.

A session's usage is not additive across buckets (the analytics report the largest session).
Per level, a session whose jobs all lie in one bucket and one slice is *interior* there: its
sum sits in that slice's multiset of session sums. Otherwise each slice it touches lists its
partial sum by session id (*boundary*), and a query adds the partials of the sessions it sees
in several buckets. A session lives at most a few hours, so boundary sessions are few.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import NamedTuple

__all__ = ["WIDTHS", "Figures", "JobFacts", "UsageIndex"]

# Bucket widths in seconds, finest first; each divides the next.
WIDTHS = (1, 60, 3600, 86400, 86400 * 16, 86400 * 256)
_TOP = len(WIDTHS) - 1

SliceKey = tuple[str, str]  # (backend, user_id)


class JobFacts(NamedTuple):
    """What a job contributes to the analytics; a save updates them only when these change."""

    created: float
    backend: str
    user_id: str
    session_id: str | None  # None outside sessions
    batch: bool  # the session is a batch (else dedicated)
    usage_ms: float
    queue_ms: float | None  # None until the job starts running


class _Sum:
    """An exact sum of floats (non-overlapping partials), read as the correctly rounded value."""

    __slots__ = ("partials",)

    def __init__(self) -> None:
        self.partials: list[float] = []

    def add(self, x: float) -> None:
        if not x:
            return
        partials = self.partials
        i = 0
        for y in partials:
            if abs(x) < abs(y):
                x, y = y, x
            hi = x + y
            lo = y - (hi - x)
            if lo:
                partials[i] = lo
                i += 1
            x = hi
        partials[i:] = [x] if x else []

    @property
    def value(self) -> float:
        return math.fsum(self.partials)


class _Bag:
    """A multiset of floats with its size and largest value (recomputed only when removed)."""

    __slots__ = ("_counts", "_dirty", "_top", "size")

    def __init__(self) -> None:
        self._counts: dict[float, int] = {}
        self._top: float | None = None
        self._dirty = False
        self.size = 0

    def add(self, value: float) -> None:
        self._counts[value] = self._counts.get(value, 0) + 1
        self.size += 1
        if not self._dirty and (self._top is None or value > self._top):
            self._top = value

    def remove(self, value: float) -> None:
        left = self._counts[value] - 1
        self.size -= 1
        if left:
            self._counts[value] = left
            return
        del self._counts[value]
        if value == self._top:
            self._dirty = True

    @property
    def top(self) -> float | None:
        if not self.size:
            return None
        if self._dirty:
            self._top, self._dirty = max(self._counts), False
        return self._top


class _Stat:
    """Count, exact sum and maximum of a multiset of values."""

    __slots__ = ("bag", "total")

    def __init__(self) -> None:
        self.total = _Sum()
        self.bag = _Bag()

    def add(self, value: float, sign: int) -> None:
        self.total.add(sign * value)
        if sign > 0:
            self.bag.add(value)
        else:
            self.bag.remove(value)


class _Place:
    """One session's jobs in one bucket and slice of one level."""

    __slots__ = ("batch", "interior", "jobs", "key", "total")

    def __init__(self, key: tuple[int, SliceKey], batch: bool) -> None:
        self.key = key
        self.batch = batch
        self.jobs = 0
        self.total = _Sum()
        self.interior: float | None = None  # the value in its slice's bag while interior


class _Slice:
    """The jobs of one bucket created on one backend by one user."""

    __slots__ = ("boundary", "individual", "interior", "jobs", "queue", "session_jobs", "usage")

    def __init__(self) -> None:
        self.jobs = 0
        self.usage = _Sum()
        self.individual = _Stat()
        self.queue = _Stat()
        self.session_jobs = (_Sum(), _Sum())  # usage of jobs in sessions: dedicated, batch
        self.interior = (_Bag(), _Bag())  # whole sums of interior sessions: dedicated, batch
        self.boundary: dict[str, _Place] = {}


def _stats(count: int, total: float, top: float | None) -> tuple[float, float, float]:
    return total, (total / count if count else 0.0), (top if top is not None else 0.0)


def _largest(a: float | None, b: float | None) -> float | None:
    return b if a is None or (b is not None and b > a) else a


class Figures:
    """One group's figures over the buckets and edge jobs a query covers."""

    def __init__(self) -> None:
        self.jobs = 0
        self.usage: list[float] = []
        self.individual_count = 0
        self.individual: list[float] = []
        self.individual_max: float | None = None
        self.queue_count = 0
        self.queue: list[float] = []
        self.queue_max: float | None = None
        self.session_jobs: tuple[list[float], list[float]] = ([], [])
        self.interior_count = [0, 0]
        self.interior_max: list[float | None] = [None, None]
        self.boundary: dict[str, tuple[bool, list[float]]] = {}

    def add_slice(self, part: _Slice) -> None:
        self.jobs += part.jobs
        self.usage += part.usage.partials
        self.individual_count += part.individual.bag.size
        self.individual += part.individual.total.partials
        self.individual_max = _largest(self.individual_max, part.individual.bag.top)
        self.queue_count += part.queue.bag.size
        self.queue += part.queue.total.partials
        self.queue_max = _largest(self.queue_max, part.queue.bag.top)
        for mode in (0, 1):
            self.session_jobs[mode].extend(part.session_jobs[mode].partials)
            self.interior_count[mode] += part.interior[mode].size
            self.interior_max[mode] = _largest(self.interior_max[mode], part.interior[mode].top)
        for session_id, place in part.boundary.items():
            self.boundary.setdefault(session_id, (place.batch, []))[1].extend(place.total.partials)

    def add_job(self, facts: JobFacts) -> None:
        self.jobs += 1
        self.usage.append(facts.usage_ms)
        if facts.session_id is None:
            self.individual_count += 1
            self.individual.append(facts.usage_ms)
            self.individual_max = _largest(self.individual_max, facts.usage_ms)
        else:
            self.session_jobs[facts.batch].append(facts.usage_ms)
            self.boundary.setdefault(facts.session_id, (facts.batch, []))[1].append(facts.usage_ms)
        if facts.queue_ms is not None:
            self.queue_count += 1
            self.queue.append(facts.queue_ms)
            self.queue_max = _largest(self.queue_max, facts.queue_ms)

    def metrics(self) -> dict[str, float | int]:
        """The usage analytics block (milliseconds), as ``/v1/analytics/usage`` answers it."""
        counts = list(self.interior_count)
        tops = list(self.interior_max)
        for batch, partials in self.boundary.values():
            counts[batch] += 1
            tops[batch] = _largest(tops[batch], math.fsum(partials))
        dedicated_total = math.fsum(self.session_jobs[0])
        batch_total = math.fsum(self.session_jobs[1])
        sessions_total = math.fsum(self.session_jobs[0] + self.session_jobs[1])
        sessions = counts[0] + counts[1]
        _, sessions_avg, sessions_max = _stats(sessions, sessions_total, _largest(*tops))
        _, batch_avg, batch_max = _stats(counts[1], batch_total, tops[1])
        _, dedicated_avg, dedicated_max = _stats(counts[0], dedicated_total, tops[0])
        individual_total, individual_avg, individual_max = _stats(
            self.individual_count, math.fsum(self.individual), self.individual_max
        )
        queue_total, queue_avg, queue_max = _stats(
            self.queue_count, math.fsum(self.queue), self.queue_max
        )
        return {
            "usage": math.fsum(self.usage),
            "jobs": self.jobs,
            "sessions": sessions,
            "sessions_usage": sessions_total,
            "avg_sessions_usage": sessions_avg,
            "max_sessions_usage": sessions_max,
            "batch_sessions": counts[1],
            "batch_sessions_usage": batch_total,
            "avg_batch_sessions_usage": batch_avg,
            "max_batch_sessions_usage": batch_max,
            "dedicated_sessions": counts[0],
            "dedicated_sessions_usage": dedicated_total,
            "avg_dedicated_sessions_usage": dedicated_avg,
            "max_dedicated_sessions_usage": dedicated_max,
            "individual_jobs": self.individual_count,
            "individual_jobs_usage": individual_total,
            "avg_individual_jobs_usage": individual_avg,
            "max_individual_jobs_usage": individual_max,
            "queue_time": queue_total,
            "avg_queue_time": queue_avg,
            "max_queue_time": queue_max,
        }


# A covered piece of an interval: a whole bucket (level, index), or the jobs of one second
# (level -1, index) created in [lo, hi).
_Piece = tuple[int, int, float, float]


def _cover(level: int, start: float, end: float) -> Iterator[_Piece]:
    """The buckets of ``level`` and below covering [start, end), which lies in one bucket of
    the level above (finite bounds)."""
    width = WIDTHS[level]
    first = int(-(-start // width))  # the first whole bucket
    stop = int(end // width)  # one past the last whole bucket
    if start < first * width:
        yield from _edge(level, start, min(first * width, end))
    for index in range(first, stop):
        yield level, index, 0.0, 0.0
    if first <= stop and stop * width < end:
        yield from _edge(level, stop * width, end)


def _edge(level: int, start: float, end: float) -> Iterator[_Piece]:
    if start >= end:
        return
    if level == 0:
        yield -1, int(start // 1), start, end
    else:
        yield from _cover(level - 1, start, end)


class UsageIndex:
    """The aggregates of every stored job, by time bucket and (backend, user) slice."""

    def __init__(self) -> None:
        self._facts: dict[str, JobFacts] = {}
        self._buckets: list[dict[int, dict[SliceKey, _Slice]]] = [{} for _ in WIDTHS]
        self._seconds: dict[int, dict[str, JobFacts]] = {}  # jobs per second, for edges
        # session id -> per level, its places by (bucket index, slice)
        self._places: dict[str, list[dict[tuple[int, SliceKey], _Place]]] = {}

    def __len__(self) -> int:
        return len(self._facts)

    def update(self, job_id: str, facts: JobFacts | None) -> None:
        """Count the job as ``facts`` say (None: the job is gone)."""
        old = self._facts.get(job_id)
        if old == facts:
            return
        if old is not None:
            self._apply(job_id, old, -1)
            del self._facts[job_id]
        if facts is not None:
            self._apply(job_id, facts, 1)
            self._facts[job_id] = facts

    def _apply(self, job_id: str, facts: JobFacts, sign: int) -> None:
        key: SliceKey = (facts.backend, facts.user_id)
        second = int(facts.created // 1)
        if sign > 0:
            self._seconds.setdefault(second, {})[job_id] = facts
        else:
            jobs = self._seconds[second]
            del jobs[job_id]
            if not jobs:
                del self._seconds[second]
        for level, width in enumerate(WIDTHS):
            index = int(facts.created // width)
            slices = self._buckets[level].setdefault(index, {})
            part = slices.get(key)
            if part is None:
                part = slices[key] = _Slice()
            part.jobs += sign
            part.usage.add(sign * facts.usage_ms)
            if facts.queue_ms is not None:
                part.queue.add(facts.queue_ms, sign)
            if facts.session_id is None:
                part.individual.add(facts.usage_ms, sign)
            else:
                part.session_jobs[facts.batch].add(sign * facts.usage_ms)
                self._session(level, facts, (index, key), sign)
            if not part.jobs:
                del slices[key]
                if not slices:
                    del self._buckets[level][index]

    def _slice(self, level: int, key: tuple[int, SliceKey]) -> _Slice:
        return self._buckets[level][key[0]][key[1]]

    def _session(self, level: int, facts: JobFacts, key: tuple[int, SliceKey], sign: int) -> None:
        session_id = facts.session_id
        assert session_id is not None
        levels = self._places.setdefault(session_id, [{} for _ in WIDTHS])
        places = levels[level]
        place = places.get(key)
        if place is None:
            place = places[key] = _Place(key, facts.batch)
            if len(places) == 2:  # the other place stops being interior
                (other,) = (p for p in places.values() if p is not place)
                self._to_boundary(level, session_id, other)
            if len(places) >= 2:
                self._slice(level, key).boundary[session_id] = place
        place.jobs += sign
        place.total.add(sign * facts.usage_ms)
        bags = self._slice(level, key).interior
        if not place.jobs:
            del places[key]
            if place.interior is not None:
                bags[place.batch].remove(place.interior)
            else:
                del self._slice(level, key).boundary[session_id]
            if len(places) == 1:  # the remaining place becomes interior
                (other,) = places.values()
                del self._slice(level, other.key).boundary[session_id]
                self._refresh_interior(level, other)
            if not any(levels):
                del self._places[session_id]
        elif len(places) == 1:
            self._refresh_interior(level, place)

    def _to_boundary(self, level: int, session_id: str, place: _Place) -> None:
        part = self._slice(level, place.key)
        if place.interior is not None:
            part.interior[place.batch].remove(place.interior)
            place.interior = None
        part.boundary[session_id] = place

    def _refresh_interior(self, level: int, place: _Place) -> None:
        value = place.total.value
        if place.interior == value:
            return
        bag = self._slice(level, place.key).interior[place.batch]
        bag.add(value)  # before removing the old value: a growing maximum stays known
        if place.interior is not None:
            bag.remove(place.interior)
        place.interior = value

    # --------------------------------------------------------------------------------- queries

    def _pieces(self, start: float | None, end: float | None) -> Iterator[_Piece]:
        width = WIDTHS[_TOP]
        if start is not None and end is not None and start >= end:
            return
        first = -math.inf if start is None else -(-start // width)
        stop = math.inf if end is None else end // width
        if start is not None and start < first * width:
            yield from _edge(_TOP, start, min(first * width, end if end is not None else math.inf))
        top = self._buckets[_TOP]
        if stop - first <= len(top):
            whole: Iterator[int] = iter(range(int(first), int(stop)))
        else:
            whole = (index for index in sorted(top) if first <= index < stop)
        for index in whole:
            yield _TOP, index, 0.0, 0.0
        if end is not None and first <= stop and stop * width < end:
            yield from _edge(
                _TOP, max(stop * width, start if start is not None else -math.inf), end
            )

    def collect(
        self,
        start: float | None,
        end: float | None,
        group: Callable[[str, str], str | None],
    ) -> dict[str, Figures]:
        """The figures of the jobs created in [start, end) (None: unbounded), per group.

        ``group(backend, user_id)`` names the group a slice counts in, or None to leave it out.
        """
        groups: dict[str, Figures] = {}
        names: dict[SliceKey, str | None] = {}

        def figures(key: SliceKey) -> Figures | None:
            if key not in names:
                names[key] = group(*key)
            name = names[key]
            if name is None:
                return None
            found = groups.get(name)
            if found is None:
                found = groups[name] = Figures()
            return found

        for level, index, lo, hi in self._pieces(start, end):
            if level < 0:
                for facts in self._seconds.get(index, {}).values():
                    if lo <= facts.created < hi:
                        target = figures((facts.backend, facts.user_id))
                        if target is not None:
                            target.add_job(facts)
                continue
            for key, part in self._buckets[level].get(index, {}).items():
                target = figures(key)
                if target is not None:
                    target.add_slice(part)
        return groups
