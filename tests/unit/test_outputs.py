"""lib/outputs.py and the stack's outputs."""

from __future__ import annotations

import pytest

from lib.outputs import OUTPUTS, define_outputs

REQUIRED = {
    "primary_api_endpoint",
    "secondary_api_endpoint",
    "failover_domain_name",
    "dynamodb_table_name",
    "primary_bucket_name",
    "secondary_bucket_name",
    "primary_lambda_function_name",
    "secondary_lambda_function_name",
    "primary_kms_key_arn",
    "secondary_kms_key_arn",
    "hosted_zone_id",
    "primary_health_check_id",
    "secondary_health_check_id",
    "name_servers",
    "primary_api_key_id",
    "topology",
}


def test_every_required_output_exists_with_a_description(each_profile):
    outputs = each_profile.json["output"]
    assert set(outputs) >= REQUIRED
    for name, output in outputs.items():
        assert len(output["description"]) > 20, name


def test_output_values_point_at_the_right_resources(dev):
    value = lambda name: dev.output(name)["value"]  # noqa: E731
    for role in ("primary", "secondary"):
        assert value(f"{role}_api_endpoint") == dev.ref(
            "aws_api_gateway_stage", f"api-{role}/stage", "invoke_url"
        )
        assert value(f"{role}_bucket_name") == dev.ref("aws_s3_bucket", f"receipts-{role}/bucket", "bucket")
        assert value(f"{role}_lambda_function_name") == dev.ref(
            "aws_lambda_function", f"api-{role}/function", "function_name"
        )
        assert value(f"{role}_kms_key_arn") == dev.ref("aws_kms_key", f"key-{role}/key", "arn")
        assert value(f"{role}_health_check_id") == dev.ref(
            "aws_route53_health_check", f"endpoint-{role}/health-check", "id"
        )
        assert value(f"{role}_api_key_id") == dev.ref("aws_api_gateway_api_key", f"api-{role}/api-key", "id")
    assert value("dynamodb_table_name") == "tap-payments-dev"
    assert value("topology") == (
        '{"global": "us-east-1", "roles": {"primary": "us-east-1", "secondary": "us-west-2"}}'
    )
    assert value("failover_domain_name") == "api.tap-dev.payments-dr.net"
    assert value("hosted_zone_id") == dev.ref("aws_route53_zone", "zone/zone", "zone_id")
    assert value("name_servers") == dev.ref("aws_route53_zone", "zone/zone", "name_servers")
    assert value("dns_delegation").startswith("required: tap-dev.payments-dr.net is a new zone")


def test_existing_zone_needs_no_delegation(prod):
    assert prod.output("hosted_zone_id")["value"] == "Z0123456789ABCDEFGHIJ"
    assert prod.output("dns_delegation")["value"] == (
        "none: records live in the existing zone Z0123456789ABCDEFGHIJ"
    )
    (zone_id,) = prod.json["data"]["aws_route53_zone"]
    assert prod.output("name_servers")["value"] == f"${{data.aws_route53_zone.{zone_id}.name_servers}}"


def test_define_outputs_refuses_missing_or_unknown_names():
    values = dict.fromkeys(OUTPUTS, "x")
    del values["name_servers"]
    values["surprise"] = "y"
    with pytest.raises(ValueError, match=r"missing \['name_servers'\], unknown \['surprise'\]"):
        define_outputs(None, values)  # type: ignore[arg-type]


def test_the_deployment_identity_is_recorded_as_an_output(dev, prod):
    """Compared before every later deploy or destroy (deploy/terraform_runner.py)."""
    import json

    assert json.loads(dev.output("deployment_identity")["value"]) == {
        "suffix": "dev",
        "profile": "dev",
        "primary_region": "us-east-1",
        "secondary_region": "us-west-2",
        "manages_account_settings": True,
    }
    assert json.loads(prod.output("deployment_identity")["value"])["profile"] == "prod"


def test_the_tools_need_only_outputs_the_stack_defines():
    from dr.gameday import NEEDED as gameday_needs
    from dr.reconcile_receipts import NEEDED as reconcile_needs

    assert set(gameday_needs) <= set(OUTPUTS) and set(reconcile_needs) <= set(OUTPUTS)


def test_the_topology_output_is_what_the_tools_read_for_any_pair(eu):
    """A pair without us-east-1: the tools find each region in the outputs, not in an ARN."""
    from lib.regions import Topology

    topology = Topology.from_json(eu.output("topology")["value"])
    assert dict(topology.roles) == {"primary": "eu-west-1", "secondary": "eu-central-1"}
    assert topology.global_region == "us-east-1"
    providers = {p["alias"]: p["region"] for p in eu.json["provider"]["aws"]}
    assert providers == {"primary": "eu-west-1", "secondary": "eu-central-1", "global": "us-east-1"}
