"""Two whole emulators side by side (make test runs its deploy-bound stages in lanes, one
emulator each): each has its own port, its own loopback block for the regions' APIs and for
DNS (``EMULATOR_ADDRESSES``), its own state directory and its own outage switch, and neither
sees the other's resources, requests or DNS answers, even for resources of the same names."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.harness.local_cloud import LocalCloud

BLOCKS = {"a": "127.0.21", "b": "127.0.22"}
EAST = "us-east-1"
TABLE = "tap-payments-twin"  # the same name in both
ZONE = "twin.example"


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LocalCloud]]:
    clouds: dict[str, LocalCloud] = {}
    try:
        for name, block in BLOCKS.items():
            clouds[name] = LocalCloud.start(
                tmp_path_factory.mktemp(f"twin-{name}"), scale=60, extra_env={"EMULATOR_ADDRESSES": block}
            )
        yield clouds
    finally:
        for cloud in clouds.values():
            cloud.stop()


def _same_resources(cloud: LocalCloud, value: str) -> None:
    """A table and a zone with the same names in each emulator, holding ``value``."""
    ddb = cloud.client("dynamodb", EAST)
    ddb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "payment_id", "AttributeType": "S"}],
    )
    ddb.put_item(TableName=TABLE, Item={"payment_id": {"S": "p-1"}, "owner": {"S": value}})
    route53 = cloud.client("route53")
    zone = route53.create_hosted_zone(Name=ZONE, CallerReference="twin")["HostedZone"]["Id"]
    route53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": f"www.{ZONE}",
                        "Type": "A",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": value}],
                    },
                }
            ]
        },
    )


def _refused(address: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex((address, port)) != 0


def test_each_emulator_has_its_own_port_addresses_and_state(twins):
    a, b = twins["a"], twins["b"]
    assert a.port != b.port and a.state_dir != b.state_dir
    assert (a.region_address(EAST), b.region_address(EAST)) == ("127.0.21.2", "127.0.22.2")
    assert (a.dns_server(), b.dns_server()) == (("127.0.21.1", a.port), ("127.0.22.1", b.port))
    assert Path(a.state_dir, "moto.pid").read_text() != Path(b.state_dir, "moto.pid").read_text()
    # Nothing of one answers at the other's addresses: a client mixing them up is refused.
    assert _refused(b.region_address(EAST), a.port) and _refused(a.region_address(EAST), b.port)


def test_resources_of_the_same_name_and_dns_answers_stay_apart(twins):
    a, b = twins["a"], twins["b"]
    _same_resources(a, "192.0.2.10")
    _same_resources(b, "192.0.2.20")
    for cloud, value in ((a, "192.0.2.10"), (b, "192.0.2.20")):
        item = cloud.client("dynamodb", EAST).get_item(TableName=TABLE, Key={"payment_id": {"S": "p-1"}})
        assert item["Item"]["owner"]["S"] == value
        assert cloud.a_records(f"www.{ZONE}")[0] == [value]
    # An API's default name resolves into the block of the emulator asked, never the other's.
    name = f"abc123.execute-api.{EAST}.amazonaws.com"
    assert (a.a_records(name)[0], b.a_records(name)[0]) == (["127.0.21.2"], ["127.0.22.2"])


def test_the_outage_switch_and_the_call_counter_are_each_emulators_own(twins):
    a, b = twins["a"], twins["b"]
    before = b.calls().get(f"dynamodb/{EAST}", 0)
    a_east, b_east = a.region_address(EAST), b.region_address(EAST)
    a.outage(EAST, down=True)
    try:
        with pytest.raises(ClientError, match="ServiceUnavailable"):
            a.client("dynamodb", EAST).list_tables()
        assert b.status()["regions_out"] == []
        assert TABLE in b.client("dynamodb", EAST).list_tables()["TableNames"]
        assert a.status()["regions_out"] == [EAST]
        assert _refused(a_east, a.port)  # a's API listener closed, b's still open
        assert not _refused(b_east, b.port)
    finally:
        a.outage(EAST, down=False)
    assert b.calls().get(f"dynamodb/{EAST}", 0) == before + 1  # b counted its own call only
