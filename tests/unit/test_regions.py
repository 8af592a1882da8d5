"""lib/regions.py: the one list of supported regions and the topology every part reads."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from lib import regions
from lib.regions import RoleRegion, Topology, TopologyError

ROOT = Path(__file__).resolve().parents[2]


def test_the_list_has_each_region_once_and_in_a_fixed_order():
    assert len(regions.NAMES) == len(set(regions.NAMES)) == len(regions.KNOWN)
    # The emulator serves each region on <block>.(2 + index): the first ones never move.
    assert regions.NAMES[:2] == ("us-east-1", "us-west-2")
    assert all(regions.PATTERN.match(name) for name in regions.NAMES)


def test_the_lower_api_gateway_quota_regions_are_those_aws_lists():
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html: the Regions whose
    # account throttle defaults to 2,500 rps.
    assert {
        "af-south-1", "eu-south-1", "ap-southeast-3", "me-central-1", "ap-south-2", "ap-southeast-4",
        "eu-south-2", "eu-central-2", "il-central-1", "ca-west-1", "ap-southeast-5", "ap-southeast-7",
        "mx-central-1",
    } == regions.APIGATEWAY_LOW_QUOTA  # fmt: skip


def test_defaults_are_supported_and_the_state_region_is_outside_the_default_pair():
    assert {regions.DEFAULT_PRIMARY, regions.DEFAULT_SECONDARY, regions.DEFAULT_STATE_BUCKET} <= regions.KNOWN
    assert regions.DEFAULT_STATE_BUCKET not in (regions.DEFAULT_PRIMARY, regions.DEFAULT_SECONDARY)
    assert regions.GLOBAL in regions.KNOWN


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("us-east-7", "us-east-7' is not a region of the aws partition"),
        ("cn-north-1", "a typo, or a region of another partition"),
        ("Europe", "is not an AWS region name like 'us-east-1'"),
        ("", "is not an AWS region name"),
    ],
)
def test_check_refuses_an_unsupported_name_in_one_line(name, message):
    with pytest.raises(TopologyError, match=message) as error:
        regions.check(name, "PRIMARY_REGION")
    assert "\n" not in str(error.value)
    assert str(error.value).startswith("PRIMARY_REGION=")


def test_a_topology_names_each_roles_region_and_the_global_one():
    topology = Topology.of("eu-west-1", "eu-central-1")
    assert topology.roles == (RoleRegion("primary", "eu-west-1"), RoleRegion("secondary", "eu-central-1"))
    assert (topology.primary, topology.secondary) == ("eu-west-1", "eu-central-1")
    assert topology.region("secondary") == "eu-central-1"
    assert topology.region("global") == "us-east-1"
    assert topology.names == ("primary", "secondary")
    assert topology.regions == ("eu-west-1", "eu-central-1", "us-east-1")
    # The global resources need a third role here; with us-east-1 in the pair, that role is it.
    assert topology.global_role == RoleRegion("global", "us-east-1")
    assert Topology.of("us-east-1", "us-west-2").global_role == RoleRegion("primary", "us-east-1")
    assert Topology.of("us-west-2", "us-east-1").global_role == RoleRegion("secondary", "us-east-1")
    assert Topology.of("us-east-1", "us-west-2").regions == ("us-east-1", "us-west-2")


def test_each_role_replicates_to_its_peer_round_the_ring():
    topology = Topology.of("us-east-1", "us-west-2")
    assert [topology.peer(role) for role in topology.names] == ["secondary", "primary"]


def test_the_outputs_json_round_trips():
    topology = Topology.of("eu-west-1", "eu-central-1")
    text = topology.to_json()
    assert json.loads(text) == {
        "roles": {"primary": "eu-west-1", "secondary": "eu-central-1"},
        "global": "us-east-1",
    }
    assert Topology.from_json(text) == topology


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a topology \\(JSONDecodeError"),
        ("[]", "not a topology \\(TypeError"),
        (
            '{"roles": {"primary": "us-east-1"}, "global": "us-east-1"}',
            "not a topology \\(KeyError: 'secondary'",
        ),
        ('{"roles": {"primary": "us-east-1", "secondary": "us-west-2"}}', "KeyError: 'global'"),
        (
            '{"roles": {"primary": "us-east-1", "secondary": "mars-1"}, "global": "us-east-1"}',
            "secondary region=",
        ),
        (
            '{"roles": {"primary": "us-east-1", "secondary": "us-east-1"}, "global": "us-east-1"}',
            "must differ",
        ),
    ],
)
def test_a_malformed_topology_is_a_one_line_error(text, message):
    with pytest.raises(TopologyError, match=message):
        Topology.from_json(text)


def test_roles_are_fixed_and_an_unknown_role_is_refused():
    with pytest.raises(TopologyError, match="roles primary, secondary in that order"):
        Topology((("secondary", "us-east-1"), ("primary", "us-west-2")))
    with pytest.raises(TopologyError, match="global region="):
        Topology((("primary", "us-east-1"), ("secondary", "us-west-2")), "moon-1")
    with pytest.raises(TopologyError, match="no role 'tertiary'"):
        Topology.of("us-east-1", "us-west-2").region("tertiary")


def _region_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in regions.KNOWN
    ]


def test_no_source_outside_the_list_spells_a_region():
    """A region name as a whole string literal appears only in lib/regions.py: every other part
    reads the list, the defaults or a deployment's topology (tests and docs aside)."""
    sources = [
        p
        for folder in ("lib", "dr", "flows", "local_aws", "deploy", "cli", "scripts", "bench")
        for p in (ROOT / folder).rglob("*.py")
        if p != ROOT / "lib" / "regions.py"
    ]
    assert [hit for path in sources for hit in _region_literals(path)] == []


def test_the_emulator_serves_every_region_the_configuration_accepts():
    """The two lists had drifted: lib/config.py accepted ap-southeast-5, and the emulator had no
    address for it. Now both read lib/regions.py."""
    from lib.config import StackConfig
    from local_aws.regions import address_of, region_at

    for name in regions.NAMES:
        config = StackConfig.from_env(
            {
                "PRIMARY_REGION": name,
                "SECONDARY_REGION": next(other for other in regions.NAMES if other != name),
            }
        )
        assert region_at(address_of(config.topology.primary)) == name
    assert len({address_of(name) for name in regions.NAMES}) == len(regions.NAMES)
