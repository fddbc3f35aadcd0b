#!/usr/bin/env python3
"""Every benchmark, side by side with qiskit-ibm-runtime and the floor, as ratios.

    python benchmarks/run.py            # the full run (under 10 minutes on 2 cores); refreshes
                                        # the README's Performance section
    python benchmarks/run.py --quick    # small sizes, a minute or two, README untouched

Prints the tables and writes ``benchmarks/results/latest.json`` (every row: ratio, spread,
values) and ``latest.pyperf.json`` (every subject's values as pyperf benchmarks:
``python -m pyperf compare_to old.pyperf.json new.pyperf.json`` compares two runs).

Sections: ``install`` (cold import and installed size, in virtual environments it builds under
``benchmarks/.venvs``), ``calls`` (per-call cost), ``submit`` (1,000 jobs), ``memory`` (peak RSS
of one job) and ``decode`` (every register width). See each ``bench_*.py`` for what exactly is
compared with what.
"""

from __future__ import annotations

import argparse
import datetime
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _harness import Row, machine, markdown_table, write_json  # noqa: E402

README = HERE.parent / "README.md"
START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
SECTIONS = ("install", "calls", "submit", "memory", "decode")


def run_section(name: str, quick: bool, log: list[str]) -> list[Row]:
    if name == "install":
        from bench_install import install

        return install(rounds=3 if quick else 9, log=log)
    if name == "calls":
        from bench_calls import per_call

        return per_call(calls=10 if quick else 100, rounds=2 if quick else 5)
    if name == "submit":
        from bench_calls import submission

        jobs, rounds = (40, 2) if quick else (1000, 5)
        return submission(jobs=jobs, rounds=rounds, latency=0.0) + submission(
            jobs=jobs, rounds=rounds, latency=0.005
        )
    if name == "memory":
        from bench_memory import memory

        return memory(rounds=1 if quick else 3)
    from bench_decode import WIDTHS, decode

    if quick:
        return decode(shots=20_000, floor_shots=100_000, rounds=2, widths=(2, 8, 16, 127))
    return decode(shots=200_000, floor_shots=1_000_000, rounds=3, widths=WIDTHS)


def report(rows: list[Row], meta: dict[str, object]) -> str:
    from bench_decode import decode_table

    decode_rows = [row for row in rows if row.section == "decode"]
    other = [row for row in rows if row.section != "decode"]
    parts = [
        f"Measured {meta['date']} on {meta['cpu_count']} cores (shared), Python {meta['python']}, "
        f"by `python benchmarks/run.py` in {meta['elapsed_minutes']:.1f} minutes. Each figure is "
        "this project's median over alternating runs divided by the baseline's from the same "
        "run (below 1: smaller or faster), with the lowest and highest per-run ratio.",
    ]
    if other:
        parts.append(markdown_table(other))
    if decode_rows:
        parts.append(
            "Decoding, one line per register, ratios against the seed notebook "
            "(`Counter(int(x, 16) for x in samples)` and its bitstring forms; time decoding "
            f"only, peak memory end to end from the response body; {meta['decode_shots']} "
            "shots), against `json.loads` of the same body alone (end to end, "
            f"{meta['floor_shots']} shots: the goal is at most 1.5), and against "
            "qiskit-ibm-runtime's `RuntimeDecoder` plus qiskit's `BitArray.get_counts()` "
            "for results in the Qiskit format:"
        )
        parts.append(decode_table(decode_rows))
    return "\n\n".join(parts)


def refresh_readme(text: str) -> None:
    readme = README.read_text()
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(readme):
        print(f"README.md has no {START} ... {END} block: not updated", file=sys.stderr)
        return
    README.write_text(pattern.sub(lambda _: f"{START}\n{text}\n{END}", readme))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes; README untouched")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "latest.json")
    args = parser.parse_args(argv)
    sections = args.only or list(SECTIONS)
    started = time.perf_counter()
    rows: list[Row] = []
    log: list[str] = []
    for name in sections:
        section_started = time.perf_counter()
        print(f"[{name}] ...", flush=True)
        found = run_section(name, args.quick, log)
        rows.extend(found)
        print(f"[{name}] {len(found)} rows in {time.perf_counter() - section_started:.0f} s")
        for line in log:
            print(f"[{name}] {line}")
        log.clear()
    elapsed = time.perf_counter() - started
    meta: dict[str, object] = {
        **machine(),
        "date": datetime.date.today().isoformat(),
        "elapsed_minutes": elapsed / 60,
        "quick": args.quick,
        "sections": sections,
        "decode_shots": "20,000" if args.quick else "200,000",
        "floor_shots": "100,000" if args.quick else "1,000,000",
    }
    text = report(rows, meta)
    print("\n" + text)
    write_json(args.json, rows, meta)
    print(f"\nwrote {args.json} and {args.json.with_suffix('.pyperf.json')}")
    if not args.quick and args.only is None:
        refresh_readme(text)
        print(f"refreshed the Performance section of {README}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
