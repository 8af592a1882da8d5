"""S3 object versions let a key be read as it was at a time, in the source bucket and in its
replication destination (moto's versioning, local_aws/dataplane/s3_object_replication.py), with
boto3 against the in-process emulator: ListObjectVersions, then the newest version or delete
marker whose LastModified is at or before T, then GetObject with that VersionId."""

from __future__ import annotations

import math
import time
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local_aws.regions import OUTAGES
from tests.harness.conftest import boto, wait_for

EAST, WEST = "us-east-1", "us-west-2"
KEY = "receipts/p-1.json"


@pytest.fixture(autouse=True)
def reset(endpoint):
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))


@pytest.fixture
def buckets(endpoint):
    """A versioned source (us-east-1) replicating receipts/ and delete markers to us-west-2."""
    east, west = boto("s3", EAST, endpoint), boto("s3", WEST, endpoint)
    east.create_bucket(Bucket="source")
    west.create_bucket(Bucket="destination", CreateBucketConfiguration={"LocationConstraint": WEST})
    for s3, bucket in ((east, "source"), (west, "destination")):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    east.put_bucket_replication(
        Bucket="source",
        ReplicationConfiguration={
            "Role": "arn:aws:iam::123456789012:role/replication",
            "Rules": [
                {
                    "ID": "receipts",
                    "Priority": 1,
                    "Status": "Enabled",
                    "Filter": {"Prefix": "receipts/"},
                    "DeleteMarkerReplication": {"Status": "Enabled"},
                    "Destination": {"Bucket": "arn:aws:s3:::destination"},
                }
            ],
        },
    )
    return east, west


def _next_second() -> None:
    """S3 keeps LastModified to the second: sleep into the next one."""
    time.sleep(math.floor(time.time()) + 1.01 - time.time())


def _as_at(s3, bucket: str, when: float) -> dict[str, Any] | None:
    """The version or delete marker of KEY that was current at ``when`` (None: none yet)."""
    listed = s3.list_object_versions(Bucket=bucket, Prefix=KEY)
    entries = [{**v, "marker": False} for v in listed.get("Versions", [])] + [
        {**m, "marker": True} for m in listed.get("DeleteMarkers", [])
    ]
    before = [e for e in entries if e["Key"] == KEY and e["LastModified"].timestamp() <= when]
    return max(before, key=lambda e: e["LastModified"], default=None)


def _history(s3, bucket: str) -> list[tuple[str, float, bool]]:
    listed = s3.list_object_versions(Bucket=bucket, Prefix=KEY)
    return sorted(
        [(v["VersionId"], v["LastModified"].timestamp(), False) for v in listed.get("Versions", [])]
        + [(m["VersionId"], m["LastModified"].timestamp(), True) for m in listed.get("DeleteMarkers", [])]
    )


def test_a_key_reads_as_it_was_at_a_time_in_the_source_and_its_replica(buckets):
    east, west = buckets
    _next_second()
    first = east.put_object(Bucket="source", Key=KEY, Body=b'{"amount": 10}')["VersionId"]
    at_first = time.time()
    _next_second()
    second = east.put_object(Bucket="source", Key=KEY, Body=b'{"amount": 99}')["VersionId"]
    at_second = time.time()
    _next_second()
    marker = east.delete_object(Bucket="source", Key=KEY)["VersionId"]

    for s3, bucket in ((east, "source"), (west, "destination")):
        assert _as_at(s3, bucket, at_first)["VersionId"] == first
        assert _as_at(s3, bucket, at_second)["VersionId"] == second
        now = _as_at(s3, bucket, time.time())
        assert (now["VersionId"], now["marker"]) == (marker, True)
        got = s3.get_object(Bucket=bucket, Key=KEY, VersionId=first)
        assert got["Body"].read() == b'{"amount": 10}'
        with pytest.raises(ClientError) as err:  # the current version is the delete marker
            s3.get_object(Bucket=bucket, Key=KEY)
        assert err.value.response["Error"]["Code"] == "NoSuchKey"
        with pytest.raises(ClientError) as err:
            s3.get_object(Bucket=bucket, Key=KEY, VersionId=marker)
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 405
    assert _history(west, "destination") == _history(east, "source")


def test_a_delete_marker_replicated_late_keeps_its_time(buckets):
    """While us-west-2 is out the marker waits; it lands seconds later with the source's time."""
    east, west = buckets
    east.put_object(Bucket="source", Key=KEY, Body=b"1")
    OUTAGES.set(WEST, True)
    try:
        _next_second()
        marker = east.delete_object(Bucket="source", Key=KEY)["VersionId"]
        _next_second()
        _next_second()
    finally:
        OUTAGES.set(WEST, False)
    wait_for(
        "the delete marker in the destination",
        lambda: any(version == marker for version, _, _ in _history(west, "destination")),
    )

    assert _history(west, "destination") == _history(east, "source")
