"""scripts/record_cassettes.py: records the scenarios against the emulator, scrubbed, replayable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytest.importorskip("qiskit_runtime_emulator._app", reason="needs the [local] extra")

from qiskit_runtime_rest import RuntimeClient
from qiskit_runtime_rest.testing import find_secrets, vcr_config

ROOT = Path(__file__).resolve().parents[2]
CRN = (
    "crn:v1:bluemix:public:quantum-computing:us-east:a/b947c1c5a9378d64aed96696e4d76e8e:"
    "a3a7f181-35aa-42c8-94d6-7c8ed6e1a94b::"
)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tapes")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "record_cassettes.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "wrote 2 cassette(s), secrets scrubbed" in proc.stdout
    return out


def test_recorded_cassettes_hold_no_secret(recorded: Path) -> None:
    tapes = sorted(recorded.rglob("*.yaml"))
    assert [t.name for t in tapes] == ["readme_quickstart.yaml", "notebook_flow.yaml"]
    for tape in tapes:
        text = tape.read_text()
        assert find_secrets(text) == [], tape
        assert "emulator-api-key" not in text  # the emulator's key went out in the IAM form


def test_the_notebook_flow_was_recorded_whole(recorded: Path) -> None:
    interactions = yaml.safe_load((recorded / "jobs" / "notebook_flow.yaml").read_text())[
        "interactions"
    ]
    calls = [(i["request"]["method"], i["request"]["uri"].split("/api")[-1]) for i in interactions]
    assert calls[0][0] == "POST" and calls[0][1].endswith("/identity/token")
    paths = [(method, path.split("?")[0]) for method, path in calls]
    assert ("POST", "/v1/sessions") in paths
    assert paths.count(("POST", "/v1/jobs")) == 2
    assert sum(1 for m, p in paths if m == "GET" and p.endswith("/results")) == 2
    # The graceful close on leaving the block is the last call.
    assert paths[-1][0] == "PATCH" and paths[-1][1].startswith("/v1/sessions/")


def test_a_recorded_cassette_replays(recorded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import vcr

    interactions = yaml.safe_load((recorded / "core" / "readme_quickstart.yaml").read_text())[
        "interactions"
    ]
    iam_uri = interactions[0]["request"]["uri"]
    api_base = interactions[1]["request"]["uri"].split("/v1/")[0]
    config = vcr_config()
    config.pop("allowed_hosts")
    player = vcr.VCR(cassette_library_dir=str(recorded), **config)
    with player.use_cassette("core/readme_quickstart.yaml") as tape:
        rt = RuntimeClient(
            api_key="replayed", crn=CRN, base_url=api_base, iam_url=iam_uri.split("/identity")[0]
        )
        with rt:
            names = [b.name for b in rt.backends.list()]
            from qiskit_runtime_api.api.backends import list_backends

            raw = list_backends.sync(client=rt.raw)
    assert tape.all_played
    assert names == ["ibm_fez", "ibm_pittsburgh", "ibm_emulator"]
    assert [d.name for d in raw.devices] == names  # type: ignore[union-attr]
