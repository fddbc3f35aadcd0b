"""How jobs, results and counts look: notebook HTML, an inline SVG histogram, terminal bars, and
short plain-text reprs. I/O-free and dependency-free (no plotting library, no numpy).

The classes only carry one-line ``_repr_html_``/``__repr__`` methods that call in here, so this
module loads the first time something is displayed, never on ``import qiskit_runtime_rest``.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._jobs_base import JobBase
    from ._results import BitArray

__all__ = [
    "DEFAULT_TOP",
    "bitarray_html",
    "counts_bars",
    "counts_svg",
    "job_html",
    "pub_repr",
    "result_html",
    "result_repr",
    "top_counts",
]

DEFAULT_TOP = 16  # outcomes drawn one by one; the rest are summed into one bar
_MAX_PUBS_SHOWN = 8
_BAR_COLOUR = "#6929c4"  # IBM's purple 70, as qiskit's own histograms
_REST_COLOUR = "#a6a6a6"
_STATUS_COLOURS = {
    "Completed": "#24a148",
    "Failed": "#da1e28",
    "Cancelled": "#8d8d8d",
    "Running": "#0f62fe",
    "Queued": "#f1c21b",
}

_short = reprlib.Repr()
_short.maxlist = _short.maxtuple = 6
_short.maxdict = 6
_short.maxstring = 60
_short.maxother = 200  # a BitArray's own repr is short and worth keeping whole
_short.maxlevel = 3


# --------------------------------------------------------------------------- counts


def top_counts(
    counts: Mapping[Any, int], top: int = DEFAULT_TOP
) -> tuple[list[tuple[str, int]], int, int]:
    """The ``top`` most frequent outcomes (ties by outcome), in outcome order, then how many
    other outcomes there are and their summed count."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
    shown = sorted(((str(k), v) for k, v in ranked[: max(top, 0)]), key=lambda item: item[0])
    rest = ranked[max(top, 0) :]
    return shown, len(rest), sum(v for _, v in rest)


def counts_svg(
    counts: Mapping[Any, int],
    *,
    top: int = DEFAULT_TOP,
    height: int = 160,
    bar_width: int = 28,
    title: str | None = None,
) -> str:
    """An inline SVG bar chart of ``counts``: one ``<rect class="bar">`` per outcome (its height
    proportional to the count), the outcomes beyond ``top`` summed into a last grey bar."""
    shown, others, rest = top_counts(counts, top)
    bars: list[tuple[str, int, str]] = [(k, v, _BAR_COLOUR) for k, v in shown]
    if others:
        bars.append((f"{others} other{'s' if others != 1 else ''}", rest, _REST_COLOUR))
    total = sum(counts.values())
    peak = max((v for _, v, _ in bars), default=0) or 1
    gap, left, top_pad, label_room = 8, 8, 18, 44
    width = left * 2 + max(len(bars), 1) * (bar_width + gap)
    full = height + top_pad + label_room
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{full}" '
        f'viewBox="0 0 {width} {full}" role="img" font-family="sans-serif" font-size="10">',
        f"<title>{escape(title or f'{total} shots, {len(counts)} outcomes')}</title>",
        f'<line x1="{left}" y1="{top_pad + height}" x2="{width - left}" '
        f'y2="{top_pad + height}" stroke="#8d8d8d"/>',
    ]
    for index, (label, value, colour) in enumerate(bars):
        x = left + index * (bar_width + gap) + gap / 2
        bar = round(height * value / peak, 3)
        y = round(top_pad + height - bar, 3)
        share = f"{100 * value / total:.1f} %" if total else "0 %"
        centre = x + bar_width / 2
        parts.append(
            f'<rect class="bar" data-outcome="{escape(label)}" data-count="{value}" '
            f'x="{x}" y="{y}" width="{bar_width}" height="{bar}" fill="{colour}">'
            f"<title>{escape(label)}: {value} ({share})</title></rect>"
        )
        parts.append(
            f'<text x="{centre}" y="{y - 3}" text-anchor="middle">{value}</text>'
            f'<text x="{centre}" y="{top_pad + height + 10}" text-anchor="end" '
            f'transform="rotate(-60 {centre} {top_pad + height + 10})" '
            f'font-family="monospace">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


_EIGHTHS = " ▏▎▍▌▋▊▉█"


def counts_bars(
    counts: Mapping[Any, int], *, top: int = DEFAULT_TOP, width: int = 40, ascii: bool = False
) -> str:
    """``counts`` as horizontal bars for a terminal: one line per outcome (the ``top`` most
    frequent, in outcome order), then one line summing the rest; count and share on the right.
    ``ascii`` draws with ``#`` for terminals without block characters."""
    shown, others, rest = top_counts(counts, top)
    rows = list(shown)
    if others:
        rows.append((f"({others} other{'s' if others != 1 else ''})", rest))
    if not rows:
        return "(no shots)"
    total = sum(counts.values()) or 1
    peak = max(v for _, v in rows) or 1
    label_width = max(len(label) for label, _ in rows)
    count_width = max(len(str(v)) for _, v in rows)
    lines = []
    for label, value in rows:
        bar = _bar(value / peak * width, ascii)
        lines.append(
            f"{label:>{label_width}} {bar:<{width}} {value:>{count_width}} "
            f"{100 * value / total:5.1f} %"
        )
    return "\n".join(lines)


def _bar(length: float, ascii: bool) -> str:
    if ascii:
        return "#" * round(length)
    whole, eighths = int(length), round((length - int(length)) * 8)
    if eighths == 8:
        whole, eighths = whole + 1, 0
    return "█" * whole + (_EIGHTHS[eighths] if eighths else "")


# --------------------------------------------------------------------------- notebook HTML


def bitarray_html(bits: BitArray, name: str | None = None) -> str:
    caption = f"{bits.num_shots} shots, {bits.num_bits} bits"
    if name:
        caption = f"register <code>{escape(name)}</code>: {caption}"
    return (
        f'<div class="qrt-counts"><div style="font-size:smaller">{caption}</div>'
        f"{counts_svg(bits.get_counts())}</div>"
    )


def _table(rows: Sequence[tuple[str, str]]) -> str:
    cells = "".join(
        f'<tr><th style="text-align:left;padding-right:1em">{escape(key)}</th>'
        f'<td style="text-align:left">{value}</td></tr>'
        for key, value in rows
    )
    return f"<table>{cells}</table>"


def job_html(job: JobBase[Any]) -> str:
    """A job as the last answer described it (nothing is fetched)."""
    status = job.last_status.value if job.last_status is not None else "not fetched"
    colour = _STATUS_COLOURS.get(status, "#8d8d8d")
    badge = (
        f'<span style="background:{colour};color:white;border-radius:3px;padding:0 4px">'
        f"{escape(status)}</span>"
    )
    rows = [("job", f"<code>{escape(job.id)}</code>"), ("status", badge)]
    optional = {
        "backend": job.backend,
        "session": job.session_id,
        "program": job.program_id,
        "created": job.created,
        "tags": ", ".join(job.tags) or None,
        "reason": job.reason,
        "reason code": None if job.reason_code is None else str(job.reason_code),
    }
    rows += [(key, escape(value)) for key, value in optional.items() if value]
    return f'<div class="qrt-job">{_table(rows)}</div>'


def result_html(result: Sequence[Any], metadata: Mapping[str, Any]) -> str:
    """A sampler result as one histogram per register of each PUB; an estimator result as a
    table of expectation values."""
    from ._results import BitArray, EstimatorPubResult

    kind = type(result).__name__
    parts = [f'<div class="qrt-result"><strong>{kind}</strong>, {len(result)} PUB(s)']
    if any(isinstance(pub, EstimatorPubResult) for pub in result):
        rows = "".join(
            f"<tr><td>{index}</td><td>{escape(_short.repr(pub.evs))}</td>"
            f"<td>{escape(_short.repr(pub.stds))}</td></tr>"
            for index, pub in enumerate(result[:_MAX_PUBS_SHOWN])
        )
        parts.append(f"<table><tr><th>PUB</th><th>evs</th><th>stds</th></tr>{rows}</table>")
    else:
        for index, pub in enumerate(result[:_MAX_PUBS_SHOWN]):
            for name, value in pub.data.items():
                if isinstance(value, BitArray):
                    parts.append(f"<div>PUB {index}</div>{bitarray_html(value, name)}")
    if len(result) > _MAX_PUBS_SHOWN:
        parts.append(f"<div>... and {len(result) - _MAX_PUBS_SHOWN} more PUB(s)</div>")
    if metadata:
        parts.append(f"<div><small>metadata: {escape(_short.repr(dict(metadata)))}</small></div>")
    parts.append("</div>")
    return "".join(parts)


# --------------------------------------------------------------------------- plain text


def pub_repr(pub: Any) -> str:
    """A PUB result in one readable line: long arrays and metadata are elided."""
    data = ", ".join(f"{key}={_short.repr(value)}" for key, value in pub.data.items())
    return f"{type(pub).__name__}(data=DataBin({data}), metadata={_short.repr(pub.metadata)})"


def result_repr(result: Sequence[Any], metadata: Mapping[str, Any]) -> str:
    shown = ", ".join(pub_repr(pub) for pub in result[:4])
    more = f", ... {len(result) - 4} more" if len(result) > 4 else ""
    return f"{type(result).__name__}([{shown}{more}], metadata={_short.repr(dict(metadata))})"
