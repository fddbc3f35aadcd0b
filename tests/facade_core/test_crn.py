from __future__ import annotations

import pytest
from core_helpers import VALID_CRN
from qiskit_runtime_rest import Crn, InvalidInputError, RuntimeClient
from qiskit_runtime_rest._crn import api_base_url, iam_base_url, is_cloud_url, normalize_base_url


def test_valid_crn_parses_into_its_parts() -> None:
    crn = Crn.parse(VALID_CRN)
    assert crn.cname == "bluemix"
    assert crn.ctype == "public"
    assert crn.region == "us-east"
    assert crn.account_id == "b947c1c5a9378d64aed96696e4d76e8e"
    assert crn.instance_id == "a3a7f181-35aa-42c8-94d6-7c8ed6e1a94b"
    assert str(crn) == VALID_CRN


def test_surrounding_whitespace_is_ignored() -> None:
    assert str(Crn.parse(f"  {VALID_CRN}\n")) == VALID_CRN


@pytest.mark.parametrize(
    ("crn", "named"),
    [
        (VALID_CRN.replace("crn:", "crm:", 1), "segment 1 (prefix)"),
        (VALID_CRN.replace(":v1:", ":v2:"), "segment 2 (version)"),
        (VALID_CRN.replace(":bluemix:", "::"), "segment 3 (cname)"),
        (VALID_CRN.replace(":public:", ":PUB LIC:"), "segment 4 (ctype)"),
        (
            VALID_CRN.replace("quantum-computing", "cloud-object-storage"),
            "segment 5 (service name)",
        ),
        (VALID_CRN.replace(":us-east:", "::"), "segment 6 (region)"),
        (VALID_CRN.replace(":a/b947", ":b947"), "segment 7 (scope)"),
        (VALID_CRN.replace(":a/b947c1c5a9378d64aed96696e4d76e8e:", ":a/:"), "segment 7 (scope)"),
        (
            VALID_CRN.replace("a3a7f181-35aa-42c8-94d6-7c8ed6e1a94b", ""),
            "segment 8 (service instance)",
        ),
        (VALID_CRN[:-1] + "job:x", "segment 9 (resource type)"),
        (VALID_CRN + "x", "segment 10 (resource)"),
    ],
)
def test_malformed_crn_names_the_bad_segment(crn: str, named: str) -> None:
    with pytest.raises(InvalidInputError, match=named.replace("(", r"\(").replace(")", r"\)")):
        Crn.parse(crn)


@pytest.mark.parametrize("crn", ["", "hub/group/project", VALID_CRN[:-2], VALID_CRN + ":"])
def test_wrong_segment_count_or_empty_is_rejected(crn: str) -> None:
    with pytest.raises(InvalidInputError, match="CRN"):
        Crn.parse(crn)


def test_client_rejects_a_bad_crn_before_any_request() -> None:
    with pytest.raises(InvalidInputError, match="service name"):
        RuntimeClient(bearer_token="t", crn=VALID_CRN.replace("quantum-computing", "qc"))


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("us-east", "https://quantum.cloud.ibm.com/api"),
        ("eu-de", "https://eu-de.quantum.cloud.ibm.com/api"),
        ("jp-tok", "https://jp-tok.quantum.cloud.ibm.com/api"),
    ],
)
def test_base_url_derives_from_region(region: str, expected: str) -> None:
    crn = Crn.parse(VALID_CRN.replace(":us-east:", f":{region}:"))
    assert api_base_url(crn) == expected
    rt = RuntimeClient(bearer_token="t", crn=str(crn))
    assert rt.base_url == expected
    rt.close()


def test_private_endpoint_always_names_the_region() -> None:
    crn = Crn.parse(VALID_CRN)
    assert (
        api_base_url(crn, private_endpoint=True)
        == "https://private.us-east.quantum.cloud.ibm.com/api"
    )
    assert iam_base_url(crn, private_endpoint=True) == "https://private.iam.cloud.ibm.com"


def test_staging_crn_uses_the_test_cloud() -> None:
    crn = Crn.parse(VALID_CRN.replace(":bluemix:", ":staging:"))
    assert api_base_url(crn) == "https://quantum.test.cloud.ibm.com/api"
    assert iam_base_url(crn) == "https://iam.test.cloud.ibm.com"
    assert iam_base_url(Crn.parse(VALID_CRN)) == "https://iam.cloud.ibm.com"


def test_cloud_url_is_told_apart_from_api_url() -> None:
    assert is_cloud_url("https://cloud.ibm.com")
    assert is_cloud_url("https://test.cloud.ibm.com/")
    assert not is_cloud_url("https://quantum.cloud.ibm.com/api")
    assert not is_cloud_url("http://127.0.0.1:8080")
    crn = Crn.parse(VALID_CRN.replace(":us-east:", ":eu-de:"))
    assert api_base_url(crn, cloud_url="https://test.cloud.ibm.com") == (
        "https://eu-de.quantum.test.cloud.ibm.com/api"
    )


def test_explicit_base_url_wins_and_keeps_its_port() -> None:
    rt = RuntimeClient(bearer_token="t", crn=VALID_CRN, base_url="http://127.0.0.1:8123/api/")
    assert rt.base_url == "http://127.0.0.1:8123/api"
    rt.close()
    assert normalize_base_url("https://host.example:8443/api/v1") == "https://host.example:8443/api"
    with pytest.raises(InvalidInputError):
        normalize_base_url("ftp://host/api")
