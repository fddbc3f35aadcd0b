from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from core_helpers import VALID_CRN, FakeApi, json_response
from qiskit_runtime_rest import AsyncRuntimeClient, InvalidInputError, RuntimeClient
from qiskit_runtime_rest._credentials import Secret, load_saved_account

EU_CRN = VALID_CRN.replace(":us-east:", ":eu-de:")
KEY_A = "a" * 44
KEY_B = "b" * 44

# Exactly what qiskit-ibm-runtime 0.51 writes (QiskitRuntimeService.save_account).
OFFICIAL_FILE = {
    "default-ibm-quantum-platform": {
        "channel": "ibm_quantum_platform",
        "instance": VALID_CRN,
        "private_endpoint": False,
        "token": KEY_A,
        "url": "https://cloud.ibm.com",
    },
    "default-ibm-cloud": {
        "channel": "ibm_cloud",
        "instance": EU_CRN,
        "private_endpoint": False,
        "token": KEY_B,
        "url": "https://cloud.ibm.com",
    },
}


def _write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def _key(rt: RuntimeClient) -> str:
    return rt._settings.credential.get_secret_value()


def test_from_env_reads_qiskit_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QISKIT_IBM_TOKEN", KEY_A)
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", EU_CRN)
    rt = RuntimeClient.from_env()
    assert _key(rt) == KEY_A
    assert rt.crn == EU_CRN
    assert rt.base_url == "https://eu-de.quantum.cloud.ibm.com/api"
    assert rt._settings.iam_url == "https://iam.cloud.ibm.com"
    rt.close()


def test_from_env_url_and_iam_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QISKIT_IBM_TOKEN", KEY_A)
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", VALID_CRN)
    monkeypatch.setenv("QISKIT_IBM_URL", "http://127.0.0.1:8765/api")
    monkeypatch.setenv("IAM_URL", "https://iam.example.test")
    rt = RuntimeClient.from_env()
    assert rt.base_url == "http://127.0.0.1:8765/api"
    assert rt._settings.iam_url == "https://iam.example.test"
    monkeypatch.setenv("QISKIT_IBM_URL", "https://test.cloud.ibm.com")
    monkeypatch.delenv("IAM_URL")
    rt = RuntimeClient.from_env()
    assert rt.base_url == "https://quantum.test.cloud.ibm.com/api"
    assert rt._settings.iam_url == "https://iam.test.cloud.ibm.com"


def test_from_env_overrides_are_constructor_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QISKIT_IBM_TOKEN", KEY_A)
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", VALID_CRN)
    rt = RuntimeClient.from_env(api_version="2025-05-01", base_url="https://x.test/api")
    assert (rt.api_version, rt.base_url) == ("2025-05-01", "https://x.test/api")


def test_async_client_has_the_same_constructors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("QISKIT_IBM_TOKEN", KEY_A)
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", EU_CRN)
    art = AsyncRuntimeClient.from_env(api_version="2025-05-01")
    assert type(art) is AsyncRuntimeClient
    assert (art.crn, art.api_version) == (EU_CRN, "2025-05-01")
    path = _write(tmp_path / "qiskit-ibm.json", OFFICIAL_FILE)
    art = AsyncRuntimeClient.from_saved_account("default-ibm-cloud", filename=str(path))
    assert type(art) is AsyncRuntimeClient
    assert art.base_url == "https://eu-de.quantum.cloud.ibm.com/api"


@pytest.mark.parametrize("missing", ["QISKIT_IBM_TOKEN", "QISKIT_IBM_INSTANCE"])
def test_from_env_names_the_missing_variable(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    monkeypatch.setenv("QISKIT_IBM_TOKEN", KEY_A)
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", VALID_CRN)
    monkeypatch.delenv(missing)
    with pytest.raises(InvalidInputError, match=missing):
        RuntimeClient.from_env()


def test_from_env_validates_the_crn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QISKIT_IBM_TOKEN", KEY_A)
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", "my-hub/my-group/my-project")
    with pytest.raises(InvalidInputError, match="CRN"):
        RuntimeClient.from_env()


def test_saved_account_default_entries(tmp_path: Path) -> None:
    path = _write(tmp_path / "qiskit-ibm.json", OFFICIAL_FILE)
    rt = RuntimeClient.from_saved_account(filename=str(path))
    assert (_key(rt), rt.crn) == (KEY_A, VALID_CRN)
    assert rt.base_url == "https://quantum.cloud.ibm.com/api"
    cloud = RuntimeClient.from_saved_account("default-ibm-cloud", filename=str(path))
    assert (_key(cloud), cloud.base_url) == (KEY_B, "https://eu-de.quantum.cloud.ibm.com/api")
    only_cloud = {"default-ibm-cloud": OFFICIAL_FILE["default-ibm-cloud"]}
    rt = RuntimeClient.from_saved_account(filename=str(_write(tmp_path / "b.json", only_cloud)))
    assert _key(rt) == KEY_B


def test_saved_account_marked_default_wins(tmp_path: Path) -> None:
    data = json.loads(json.dumps(OFFICIAL_FILE))
    data["mine"] = {**data["default-ibm-cloud"], "token": "c" * 44, "is_default_account": True}
    rt = RuntimeClient.from_saved_account(filename=str(_write(tmp_path / "a.json", data)))
    assert _key(rt) == "c" * 44


def test_default_file_location_is_home_dot_qiskit(tmp_path: Path) -> None:
    # conftest points HOME at tmp_path / "home".
    _write(tmp_path / "home" / ".qiskit" / "qiskit-ibm.json", OFFICIAL_FILE)
    assert _key(RuntimeClient.from_saved_account()) == KEY_A


def test_saved_private_endpoint_and_staging(tmp_path: Path) -> None:
    staging = VALID_CRN.replace(":bluemix:", ":staging:").replace(":us-east:", ":eu-de:")
    entry = {**OFFICIAL_FILE["default-ibm-cloud"], "instance": staging, "private_endpoint": True}
    path = _write(tmp_path / "a.json", {"p": {**entry, "url": "https://test.cloud.ibm.com"}})
    settings = load_saved_account("p", path)
    assert settings.base_url == "https://private.eu-de.quantum.test.cloud.ibm.com/api"
    assert settings.iam_url == "https://private.iam.test.cloud.ibm.com"


def test_saved_account_errors_are_helpful(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="does not exist"):
        RuntimeClient.from_saved_account(filename=str(tmp_path / "none.json"))
    path = _write(tmp_path / "a.json", OFFICIAL_FILE)
    with pytest.raises(InvalidInputError, match="default-ibm-cloud, default-ibm-quantum-platform"):
        RuntimeClient.from_saved_account("nope", filename=str(path))
    legacy = _write(tmp_path / "l.json", {"x": {"channel": "ibm_quantum", "token": "t"}})
    with pytest.raises(InvalidInputError, match="ibm_quantum"):
        RuntimeClient.from_saved_account("x", filename=str(legacy))
    no_crn = _write(tmp_path / "n.json", {"x": {"channel": "ibm_cloud", "token": "t"}})
    with pytest.raises(InvalidInputError, match="no instance"):
        RuntimeClient.from_saved_account("x", filename=str(no_crn))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(InvalidInputError, match="not valid JSON"):
        RuntimeClient.from_saved_account(filename=str(broken))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_save_account_writes_an_owner_only_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "qiskit-ibm.json"
    RuntimeClient.save_account(api_key=KEY_A, crn=VALID_CRN, filename=str(path))
    assert _mode(path) == 0o600
    saved = json.loads(path.read_text())
    assert saved["default-ibm-quantum-platform"]["token"] == KEY_A
    assert saved["default-ibm-quantum-platform"]["url"] == "https://cloud.ibm.com"
    assert _key(RuntimeClient.from_saved_account(filename=str(path))) == KEY_A

    existing = _write(tmp_path / "old.json", OFFICIAL_FILE)
    existing.chmod(0o644)
    RuntimeClient.save_account(api_key="d" * 44, crn=EU_CRN, name="work", filename=str(existing))
    assert _mode(existing) == 0o600
    assert set(json.loads(existing.read_text())) == {*OFFICIAL_FILE, "work"}
    assert not list(existing.parent.glob(".old.json.*"))  # no temp file left behind


def test_save_account_refuses_to_overwrite_silently(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    RuntimeClient.save_account(api_key=KEY_A, crn=VALID_CRN, filename=str(path))
    with pytest.raises(InvalidInputError, match="overwrite=True"):
        RuntimeClient.save_account(api_key=KEY_B, crn=VALID_CRN, filename=str(path))
    RuntimeClient.save_account(api_key=KEY_B, crn=VALID_CRN, filename=str(path), overwrite=True)
    assert _key(RuntimeClient.from_saved_account(filename=str(path))) == KEY_B


def test_save_account_set_as_default(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    RuntimeClient.save_account(
        api_key=KEY_A, crn=VALID_CRN, filename=str(path), name="one", set_as_default=True
    )
    with pytest.raises(InvalidInputError, match="already the default"):
        RuntimeClient.save_account(
            api_key=KEY_B, crn=VALID_CRN, filename=str(path), name="two", set_as_default=True
        )
    RuntimeClient.save_account(
        api_key=KEY_B,
        crn=VALID_CRN,
        filename=str(path),
        name="two",
        set_as_default=True,
        overwrite=True,
    )
    assert _key(RuntimeClient.from_saved_account(filename=str(path))) == KEY_B
    assert "is_default_account" not in json.loads(path.read_text())["one"]


def test_save_account_validates_before_writing(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    with pytest.raises(InvalidInputError):
        RuntimeClient.save_account(api_key=KEY_A, crn="bad", filename=str(path))
    with pytest.raises(InvalidInputError):
        RuntimeClient.save_account(api_key="  ", crn=VALID_CRN, filename=str(path))
    assert not path.exists()


def test_files_are_interchangeable_with_qiskit_ibm_runtime(tmp_path: Path) -> None:
    pytest.importorskip("qiskit_ibm_runtime")
    from qiskit_ibm_runtime import QiskitRuntimeService
    from qiskit_ibm_runtime.accounts import AccountManager

    theirs = tmp_path / "theirs.json"
    QiskitRuntimeService.save_account(token=KEY_A, instance=EU_CRN, filename=str(theirs))
    rt = RuntimeClient.from_saved_account(filename=str(theirs))
    assert (_key(rt), rt.crn) == (KEY_A, EU_CRN)

    ours = tmp_path / "ours.json"
    RuntimeClient.save_account(api_key=KEY_B, crn=VALID_CRN, filename=str(ours), name="n")
    account = AccountManager.get(filename=str(ours), name="n")
    assert (account.token, account.instance) == (KEY_B, VALID_CRN)


def test_secret_never_shows_itself() -> None:
    secret = Secret(KEY_A)
    assert KEY_A not in repr(secret) and KEY_A not in str(secret) and KEY_A not in f"{secret}"
    assert secret.get_secret_value() == KEY_A
    settings = load_saved_account(
        filename=_write(Path(os.environ["HOME"]) / "f.json", OFFICIAL_FILE)
    )
    assert KEY_A not in repr(settings)


def test_saved_account_client_works_end_to_end(tmp_path: Path) -> None:
    import httpx

    path = _write(tmp_path / "a.json", OFFICIAL_FILE)
    api = FakeApi()
    api.script("GET", "/api/v1/instance", json_response(200, {"plan_id": "open"}))
    rt = RuntimeClient.from_saved_account(
        filename=str(path),
        base_url="https://example.test/api",
        http_client=httpx.Client(transport=httpx.MockTransport(api)),
    )
    assert rt.instance.get().plan_id == "open"
    assert "apikey=" + KEY_A in api.iam_requests[0].content.decode()
