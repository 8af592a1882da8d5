"""local_aws/dataplane/plane.py: the control port's hooks - the call counter the game day uses to
prove its recovery path made no Route 53 call, and the outage switch's 503s."""

from __future__ import annotations

import io
import json

import pytest

from local_aws import regions
from local_aws.dataplane.control import CALLS_PATH, OUTAGE_PATH
from local_aws.dataplane.plane import DataPlane
from local_aws.server import apply_patches


def _signed(service: str, region: str) -> dict:
    scope = f"Credential=test/20261128/{region}/{service}/aws4_request"
    return {
        "PATH_INFO": "/",
        "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 {scope}, SignedHeaders=host, Signature=x",
    }


@pytest.fixture
def plane(tmp_path):
    apply_patches()
    plane = DataPlane(port=4999, state_dir=tmp_path, scale=1.0)  # never started: no listener
    yield plane
    for region in regions.OUTAGES.down():
        regions.OUTAGES.set(region, False)
    plane.runtime.close()


def test_every_signed_call_is_counted_by_service_and_region(plane):
    for service, region in (("route53", "us-east-1"), ("dynamodb", "us-west-2"), ("dynamodb", "us-west-2")):
        assert plane.intercept(_signed(service, region)) is None  # moto answers it
    status, counts = plane.intercept({"PATH_INFO": CALLS_PATH})
    assert status == 200
    assert counts == {"dynamodb/us-west-2": 2, "route53/us-east-1": 1}


def test_a_region_that_is_out_answers_503_to_calls_signed_for_it_and_only_those(plane):
    body = json.dumps({"region": "us-east-1", "down": True}).encode()
    status, _ = plane.intercept(
        {
            "PATH_INFO": OUTAGE_PATH,
            "REQUEST_METHOD": "POST",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
    )
    assert status == 200 and regions.OUTAGES.down() == ["us-east-1"]
    status, error = plane.intercept(_signed("route53", "us-east-1"))
    assert status == 503 and error["__type"] == "ServiceUnavailable"
    assert plane.intercept(_signed("dynamodb", "us-west-2")) is None


@pytest.mark.parametrize(
    "body", [b"{}", b'{"region": "us-east-1", "down": "yes"}', b'{"region": "mars-1", "down": true}', b"{"]
)
def test_a_bad_outage_request_is_a_400_and_changes_nothing(plane, body):
    status, error = plane.intercept(
        {
            "PATH_INFO": OUTAGE_PATH,
            "REQUEST_METHOD": "POST",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
    )
    assert status == 400 and error["error"].startswith("bad outage request")
    assert regions.OUTAGES.down() == []
