"""lib/policy.py, and least privilege across every policy in the stack."""

from __future__ import annotations

import json
import re

import pytest

from lib.policy import document, statement
from lib.regional_api import XRAY_WRITE_ACTIONS
from tests.unit.conftest import REGIONS, policy_of

IAM_POLICY_ATTRIBUTES = {
    "aws_iam_policy": "policy",
    "aws_iam_role": "assume_role_policy",
    "aws_s3_bucket_policy": "policy",
    "aws_kms_key": "policy",
    "aws_cloudwatch_log_resource_policy": "policy_document",
}
DATA_SERVICES = ("dynamodb", "s3", "kms", "sqs")


@pytest.mark.parametrize("action", ["*", "s3:*", "dynamodb:*"])
def test_wildcard_allow_actions_are_refused(action):
    with pytest.raises(ValueError, match=re.escape(f"wildcard action '{action}' is not allowed")):
        statement("Broad", [action], ["arn:aws:s3:::bucket"])


def test_a_deny_may_be_broad():
    deny = statement("DenyAll", ["s3:*"], ["arn:aws:s3:::b"], effect="Deny", principal={"AWS": "*"})
    assert deny == {
        "Sid": "DenyAll",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": ["s3:*"],
        "Resource": ["arn:aws:s3:::b"],
    }


def test_document_wraps_statements():
    assert json.loads(document(statement("A", ["s3:GetObject"], ["arn:aws:s3:::b/*"]))) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "A", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}
        ],
    }


def _documents(synth):
    for type_, attribute in IAM_POLICY_ATTRIBUTES.items():
        for name, body in synth.resources(type_).items():
            yield type_, name, json.loads(body[attribute])


def test_no_allow_statement_anywhere_has_a_wildcard_action(each_profile):
    for type_, name, doc in _documents(each_profile):
        for stmt in doc["Statement"]:
            if stmt["Effect"] != "Allow":
                continue
            actions = stmt["Action"] if isinstance(stmt["Action"], list) else [stmt["Action"]]
            assert not [a for a in actions if a == "*" or a.endswith(":*")], (type_, name, stmt)


def _identity_statements(synth):
    for name, body in synth.resources("aws_iam_policy").items():
        for stmt in json.loads(body["policy"])["Statement"]:
            yield name, stmt


def _as_list(value):
    return value if isinstance(value, list) else [value]


def test_identity_policies_grant_on_every_resource_only_for_xray(each_profile):
    # Key policies are exempt: there "Resource": "*" means "this key". X-Ray's write API has
    # no resource-level permissions, so "*" is the only form AWS accepts for it.
    for name, stmt in _identity_statements(each_profile):
        if "*" in _as_list(stmt["Resource"]):
            assert set(stmt["Action"]) == set(XRAY_WRITE_ACTIONS), (name, stmt)


def test_data_actions_are_never_granted_on_every_resource(each_profile):
    for name, stmt in _identity_statements(each_profile):
        data = [a for a in stmt["Action"] if a.split(":")[0] in DATA_SERVICES]
        assert not data or not any("*" in r.split("/")[0] for r in _as_list(stmt["Resource"])), (name, stmt)


def _resources_by_service(statements):
    """{service prefix: set of resources} over the Allow statements of one policy."""
    found: dict[str, set[str]] = {}
    for stmt in statements:
        for action in stmt["Action"]:
            found.setdefault(action.split(":")[0], set()).update(_as_list(stmt["Resource"]))
    return found


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_each_lambda_role_reaches_only_its_own_regions_resources(each_profile, role, region):
    synth = each_profile
    table = (
        synth.ref("aws_dynamodb_table", "payments-table/table", "arn")
        if role == "primary"
        else synth.ref("aws_dynamodb_table_replica", "payments-table/replica", "arn")
    )
    bucket = synth.ref("aws_s3_bucket", f"receipts-{role}/bucket", "arn")
    statements = policy_of(synth.get("aws_iam_policy", f"api-{role}/function-role/policy"))["Statement"]
    assert _resources_by_service(statements) == {
        "dynamodb": {table, f"{table}/index/*"},
        "s3": {bucket, f"{bucket}/receipts/*"},
        "kms": {synth.ref("aws_kms_key", f"key-{role}/key", "arn")},
        "logs": {synth.ref("aws_cloudwatch_log_group", f"api-{role}/function-logs", "arn") + ":*"},
        "xray": {"*"},
    }


@pytest.mark.parametrize(("source", "destination"), [("primary", "secondary"), ("secondary", "primary")])
def test_replication_roles_reach_only_the_two_buckets_and_keys(each_profile, source, destination):
    synth = each_profile
    source_arn = synth.ref("aws_s3_bucket", f"receipts-{source}/bucket", "arn")
    destination_arn = synth.ref("aws_s3_bucket", f"receipts-{destination}/bucket", "arn")
    path = f"receipts-replication-{source}/role/policy"
    statements = policy_of(synth.get("aws_iam_policy", path))["Statement"]
    assert _resources_by_service(statements) == {
        "s3": {source_arn, f"{source_arn}/*", f"{destination_arn}/*"},
        "kms": {synth.ref("aws_kms_key", f"key-{r}/key", "arn") for r, _ in REGIONS},
    }
    for stmt in statements:  # keys only through S3, never directly
        if stmt["Action"][0].startswith("kms:"):
            assert set(stmt["Condition"]["StringEquals"]) == {"kms:ViaService"}


def test_every_bucket_policy_denies_plain_http(each_profile):
    buckets = each_profile.resources("aws_s3_bucket")
    policies = each_profile.resources("aws_s3_bucket_policy").values()
    assert len(policies) == len(buckets) == 4
    for body in policies:
        deny = json.loads(body["policy"])["Statement"][0]
        assert (deny["Effect"], deny["Action"]) == ("Deny", ["s3:*"])
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_short_log_retention_is_justified_only_below_the_audit_year(dev, prod):
    def skipped(synth):
        return {
            name
            for name, body in synth.resources("aws_cloudwatch_log_group").items()
            if any("CKV_AWS_338" in e for e in body.get("//", {}).get("checkov", []))
        }

    assert skipped(dev) == set(dev.resources("aws_cloudwatch_log_group"))
    assert skipped(prod) == set()
    assert {g["retention_in_days"] for g in prod.resources("aws_cloudwatch_log_group").values()} == {365}
