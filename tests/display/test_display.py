"""Results you can look at: the SVG histogram, notebook HTML, terminal bars, short reprs."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from qiskit_runtime_rest._display import counts_bars, counts_svg, top_counts
from qiskit_runtime_rest._jobs_base import JobBase
from qiskit_runtime_rest._results import decode_results

SVG = "{http://www.w3.org/2000/svg}"


def _bars(svg: str) -> list[ET.Element]:
    root = ET.fromstring(svg)  # raises on anything that is not well-formed XML
    assert root.tag == f"{SVG}svg"
    return [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "bar"]


def test_the_svg_histogram_has_one_bar_per_outcome_in_proportion() -> None:
    bars = _bars(counts_svg({"00": 510, "11": 490}))
    assert [bar.get("data-outcome") for bar in bars] == ["00", "11"]
    heights = [float(bar.get("height", "nan")) for bar in bars]
    assert heights[0] / heights[1] == pytest.approx(510 / 490, rel=1e-4)
    # Bars stand on the same baseline.
    bottoms = {float(bar.get("y", "nan")) + float(bar.get("height", "nan")) for bar in bars}
    assert len({round(b, 2) for b in bottoms}) == 1


def test_the_svg_sums_the_outcomes_beyond_top_and_escapes_labels() -> None:
    counts = {format(i, "04b"): 100 - i for i in range(16)}
    bars = _bars(counts_svg(counts, top=3))
    assert [bar.get("data-outcome") for bar in bars] == ["0000", "0001", "0010", "13 others"]
    assert bars[-1].get("data-count") == str(sum(100 - i for i in range(3, 16)))
    assert _bars(counts_svg({"<&>": 1}))[0].get("data-outcome") == "<&>"
    assert _bars(counts_svg({})) == []


def test_top_counts_keeps_the_most_frequent_in_outcome_order() -> None:
    shown, others, rest = top_counts({"11": 5, "00": 9, "01": 1, "10": 5}, top=3)
    assert shown == [("00", 9), ("10", 5), ("11", 5)]
    assert (others, rest) == (1, 1)


def test_terminal_bars() -> None:
    text = counts_bars({"00": 510, "11": 490}, width=20)
    lines = text.splitlines()
    assert lines[0] == "00 ████████████████████ 510  51.0 %"
    assert lines[1].startswith("11 ███████████████████▎") and lines[1].endswith("490  49.0 %")
    ascii_text = counts_bars({"0": 3, "1": 1, "x": 1}, top=1, width=9, ascii=True)
    assert ascii_text.splitlines() == [
        "         0 ######### 3  60.0 %",
        "(2 others) ######    2  40.0 %",
    ]
    assert counts_bars({}) == "(no shots)"


SAMPLER_BODY = {
    "results": [
        {"data": {"c": {"samples": ["0x0", "0x3", "0x3"], "num_bits": 2}}, "metadata": {"n": 1}},
        {"data": {"c": {"samples": ["0x1"] * 4, "num_bits": 2}}, "metadata": {}},
    ],
    "metadata": {"version": 2},
}


def test_a_sampler_result_and_a_register_render_as_html() -> None:
    result = decode_results(SAMPLER_BODY, program_id="sampler")
    html = result._repr_html_()
    assert html.count("<svg") == 2 and "SamplerResult" in html
    register = result[0].data.c
    bars = _bars(register._repr_html_().split("</div>", 1)[1].removesuffix("</div>"))
    assert {bar.get("data-outcome"): bar.get("data-count") for bar in bars} == {
        "00": "1",
        "11": "2",
    }


def test_an_estimator_result_renders_as_a_table() -> None:
    body = {"results": [{"data": {"evs": 0.5, "stds": 0.01}, "metadata": {}}]}
    html = decode_results(body, program_id="estimator")._repr_html_()
    assert "<table>" in html and "0.5" in html and "<svg" not in html


def test_plain_reprs_stay_short() -> None:
    body = {
        "results": [
            {"data": {"evs": [0.1] * 1000, "stds": [0.0] * 1000}, "metadata": {"x": "y" * 500}}
        ]
        * 10,
        "metadata": {"version": 2},
    }
    text = repr(decode_results(body, program_id="estimator"))
    assert len(text) < 1200
    assert text.startswith("EstimatorResult([EstimatorPubResult(data=DataBin(evs=[0.1, ")
    assert "6 more" in text
    sampler = repr(decode_results(SAMPLER_BODY, program_id="sampler"))
    assert "DataBin(c=BitArray(num_shots=3, num_bits=2" in sampler


def test_a_job_renders_as_html_without_fetching() -> None:
    job: JobBase[object] = JobBase(
        "job-<1>",
        backend="ibm_fez",
        details={"id": "job-<1>", "status": "Failed", "state": {"status": "Failed",
                 "reason": "boom & bust", "reason_code": 1305}, "tags": ["a"]},
    )  # fmt: skip
    html = job._repr_html_()
    root = ET.fromstring(html)  # well-formed: the id and reason are escaped
    text = "".join(root.itertext())
    assert "job-<1>" in text and "Failed" in text and "boom & bust" in text and "ibm_fez" in text
    assert "1305" in text
    assert "not fetched" in JobBase("j")._repr_html_()
