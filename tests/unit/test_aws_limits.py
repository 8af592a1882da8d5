"""AWS's documented limits and pairings, checked on every synthesized profile.

Each test is one constraint from AWS's documentation (cited) that moto does not enforce, run
against the dev, staging, prod and eu-west-1/eu-central-1 stacks and against the longest
configuration the validation accepts (a 20-character suffix and a 60-character domain), so a
change that breaks a limit fails here instead of in a real deploy. The README's "Real AWS"
table lists them with the other places constraints are enforced (config, preflight, harness).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.unit.conftest import Synth

# Each ${...} reference resolves at apply time: count it as the longest thing it can become
# here (an ARN with a 12-digit account id and the longest names is under 200 characters).
REFERENCE = re.compile(r"\$\{[^}]*\}")
RESOLVED_REFERENCE = "x" * 200


@pytest.fixture(scope="session", params=["dev", "staging", "prod", "eu", "longest"])
def stack(request: pytest.FixtureRequest) -> Synth:
    return request.getfixturevalue(request.param)


def _resolved(value: str) -> str:
    return REFERENCE.sub(RESOLVED_REFERENCE, value)


def _literal(value: str) -> str:
    """The literal part of a name (references dropped): what the configuration decides."""
    return REFERENCE.sub("", value)


def _regions(stack: Synth) -> dict[str, str]:
    return {f"aws.{p['alias']}": p["region"] for p in stack.json["provider"]["aws"]}


def _alias_of_reference(stack: Synth, reference: str, type_: str = "aws_kms_key") -> str:
    logical_id = reference.removeprefix("${" + type_ + ".").split(".")[0]
    return stack.resources(type_)[logical_id]["provider"]


# --- names -------------------------------------------------------------------------------------


def test_longest_names_fit(longest: Synth):
    """The longest suffix (20) and domain (60) the configuration accepts fit every name limit."""
    assert longest.json["provider"]["aws"][0]["default_tags"][0]["tags"]["EnvironmentSuffix"] == "s" * 20
    domain = longest.get("aws_acm_certificate", "endpoint-primary/certificate")["domain_name"]
    assert len(domain) == 64


LIMITS = {
    # type: (attribute, max length, source)
    "aws_iam_role": ("name", 64, "IAM quotas: role name 64"),
    "aws_iam_policy": ("name", 128, "IAM quotas: policy name 128"),
    "aws_lambda_function": ("function_name", 64, "Lambda API: function name 64"),
    "aws_dynamodb_table": ("name", 255, "DynamoDB naming rules: 3-255"),
    "aws_cloudwatch_log_group": ("name", 512, "CloudWatch Logs CreateLogGroup: 1-512"),
    "aws_cloudwatch_metric_alarm": ("alarm_name", 255, "PutMetricAlarm: 1-255"),
    "aws_sns_topic": ("name", 256, "SNS CreateTopic: 1-256"),
    "aws_ssm_parameter": ("name", 1011, "SSM PutParameter: 1011 with the ARN"),
    "aws_kms_alias": ("name", 256, "KMS CreateAlias: 1-256"),
    "aws_wafv2_web_acl": ("name", 128, "WAF WebACL: 1-128"),
    "aws_api_gateway_rest_api": ("name", 1024, "API Gateway: name 1024"),
    "aws_cloudwatch_log_resource_policy": ("policy_name", 256, "PutResourcePolicy: policy name"),
}


@pytest.mark.parametrize("type_", sorted(LIMITS))
def test_names_fit_aws_limits(stack: Synth, type_: str):
    attribute, limit, source = LIMITS[type_]
    for logical_id, body in stack.resources(type_).items():
        name = body[attribute]
        assert len(_resolved(name)) <= limit, f"{logical_id}: {name!r} exceeds {limit} ({source})"


def test_bucket_names_fit_with_the_account_id(stack: Synth):
    """S3: 3-63 characters of lowercase letters, digits, dots and hyphens; the stack adds the
    12-digit account id."""
    for logical_id, body in stack.resources("aws_s3_bucket").items():
        name = body["bucket"].replace("${data.aws_caller_identity.caller.account_id}", "1" * 12)
        assert re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", name), (logical_id, name)


def test_ssm_parameter_names_are_valid(stack: Synth):
    """SSM: at most 15 levels, no 'aws'/'ssm' prefix, characters a-zA-Z0-9_.-/."""
    for body in stack.resources("aws_ssm_parameter").values():
        name = body["name"]
        assert name.count("/") <= 15
        assert not name.lstrip("/").lower().startswith(("aws", "ssm"))
        assert re.fullmatch(r"[a-zA-Z0-9_./-]+", name), name


def test_kms_aliases_are_valid(stack: Synth):
    """KMS: 'alias/' + letters, digits, / _ -; never alias/aws/ (AWS-managed keys)."""
    for body in stack.resources("aws_kms_alias").values():
        assert re.fullmatch(r"alias/[a-zA-Z0-9/_-]+", body["name"]) and not body["name"].startswith(
            "alias/aws/"
        )


def test_log_group_names_are_valid(stack: Synth):
    """CloudWatch Logs: a-zA-Z0-9 _ - / . # only, and never starting with 'aws/'."""
    for body in stack.resources("aws_cloudwatch_log_group").values():
        name = _resolved(body["name"])
        assert re.fullmatch(r"[a-zA-Z0-9_\-/.#]+", name) and not name.startswith("aws/"), name


# --- policies ----------------------------------------------------------------------------------


def test_managed_policies_fit_6144_characters(stack: Synth):
    """IAM: a managed policy document is at most 6,144 characters (whitespace not counted)."""
    for logical_id, body in stack.resources("aws_iam_policy").items():
        text = re.sub(r"\s", "", _resolved(body["policy"]))
        assert len(text) <= 6144, (logical_id, len(text))


def test_trust_policies_fit_the_default_2048_characters(stack: Synth):
    for logical_id, body in stack.resources("aws_iam_role").items():
        text = re.sub(r"\s", "", _resolved(body["assume_role_policy"]))
        assert len(text) <= 2048, (logical_id, len(text))


def test_key_policies_fit_32_kib(stack: Synth):
    for logical_id, body in stack.resources("aws_kms_key").items():
        assert len(_resolved(body["policy"]).encode()) <= 32 * 1024, logical_id


def test_log_resource_policies_fit_5120_characters(stack: Synth):
    for body in stack.resources("aws_cloudwatch_log_resource_policy").values():
        assert len(_resolved(body["policy_document"])) <= 5120


def test_at_most_one_logs_resource_policy_per_region(stack: Synth):
    """10 per region and account, not raisable: an environment adds at most one (its owner's)."""
    assert stack.count("aws_cloudwatch_log_resource_policy") <= 1


def test_one_api_gateway_account_setting_per_region_and_only_from_the_owner(stack: Synth):
    accounts = stack.resources("aws_api_gateway_account").values()
    providers = [a["provider"] for a in accounts]
    assert len(providers) == len(set(providers))
    owner = not stack.output("account_settings")["value"].startswith("used")
    assert (len(providers) == 2) is owner and (len(providers) == 0) is (not owner)


# --- values ------------------------------------------------------------------------------------

# CloudWatch Logs PutRetentionPolicy: the only retention values AWS accepts.
RETENTION_DAYS = {
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
}


def test_log_retention_is_a_value_aws_accepts(stack: Synth):
    for body in stack.resources("aws_cloudwatch_log_group").values():
        assert body["retention_in_days"] in RETENTION_DAYS


def test_kms_deletion_window_is_7_to_30_days(stack: Synth):
    for body in stack.resources("aws_kms_key").values():
        assert 7 <= body["deletion_window_in_days"] <= 30


def test_health_checks_use_route53_values(stack: Synth):
    """Route 53: request interval 10 or 30 s (fixed after creation), failure threshold 1-10 for
    checks that probe an endpoint; a calculated check names 1-256 children and a threshold no
    larger than their number; a CloudWatch-metric check names its alarm's region and what
    insufficient data means (API_HealthCheckConfig)."""
    for body in stack.resources("aws_route53_health_check").values():
        if body["type"] == "CALCULATED":
            assert 1 <= len(body["child_healthchecks"]) <= 256
            assert 0 <= body["child_health_threshold"] <= len(body["child_healthchecks"])
        elif body["type"] == "CLOUDWATCH_METRIC":
            assert body["cloudwatch_alarm_region"] in {p["region"] for p in stack.json["provider"]["aws"]}
            assert body["insufficient_data_health_status"] in ("Healthy", "Unhealthy", "LastKnownStatus")
        else:
            assert body["request_interval"] in (10, 30)
            assert 1 <= body["failure_threshold"] <= 10


def test_noncurrent_versions_reach_standard_ia_after_30_days_at_least(stack: Synth):
    """S3 moves only objects noncurrent for at least 30 days to STANDARD_IA."""
    for body in stack.resources("aws_s3_bucket_lifecycle_configuration").values():
        for rule in body["rule"]:
            for transition in rule.get("noncurrent_version_transition", []):
                if transition["storage_class"] in ("STANDARD_IA", "ONEZONE_IA"):
                    assert transition["noncurrent_days"] >= 30


def test_replication_rules_are_valid_for_s3(stack: Synth):
    """RTC only with metrics and only 15 minutes; SSE-KMS objects need a replica key in the
    destination's region; versioning at both ends first; delete markers only without tags."""
    regions = _regions(stack)
    for body in stack.resources("aws_s3_bucket_replication_configuration").values():
        for rule in body["rule"]:
            destination = rule["destination"]
            assert destination["replication_time"]["time"]["minutes"] == 15
            assert destination["metrics"]["status"] == "Enabled"
            assert destination["metrics"]["event_threshold"]["minutes"] == 15
            if rule["source_selection_criteria"]["sse_kms_encrypted_objects"]["status"] == "Enabled":
                key = destination["encryption_configuration"]["replica_kms_key_id"]
                bucket = destination["bucket"].removeprefix("${aws_s3_bucket.").split(".")[0]
                assert (
                    regions[_alias_of_reference(stack, key)]
                    == regions[stack.resources("aws_s3_bucket")[bucket]["provider"]]
                )
            assert "tag" not in json.dumps(rule["filter"])
        assert len(body["depends_on"]) == 2 and all(
            "aws_s3_bucket_versioning" in d for d in body["depends_on"]
        )


def test_every_customer_managed_key_is_used_in_its_own_region(stack: Synth):
    """KMS keys are regional: a log group, topic, parameter, function, table, replica or bucket
    can use only a key of its own region."""
    regions = _regions(stack)
    uses = {
        "aws_cloudwatch_log_group": "kms_key_id",
        "aws_sns_topic": "kms_master_key_id",
        "aws_ssm_parameter": "key_id",
        "aws_lambda_function": "kms_key_arn",
        "aws_dynamodb_table_replica": "kms_key_arn",
    }
    checked = 0
    for type_, attribute in uses.items():
        for logical_id, body in stack.resources(type_).items():
            key = body[attribute]
            assert regions[_alias_of_reference(stack, key)] == regions[body["provider"]], logical_id
            checked += 1
    table = stack.get("aws_dynamodb_table", "payments-table/table")
    assert (
        regions[_alias_of_reference(stack, table["server_side_encryption"]["kms_key_arn"])]
        == regions[table["provider"]]
    )
    assert checked >= 15


def test_regional_certificates_live_in_the_apis_region(stack: Synth):
    """API Gateway: a REGIONAL custom domain needs an ACM certificate of its own region."""
    for body in stack.resources("aws_api_gateway_domain_name").values():
        validation = (
            body["regional_certificate_arn"].removeprefix("${aws_acm_certificate_validation.").split(".")[0]
        )
        assert stack.resources("aws_acm_certificate_validation")[validation]["provider"] == body["provider"]


def test_waf_logs_go_to_a_same_region_group_named_aws_waf_logs(stack: Synth):
    for body in stack.resources("aws_wafv2_web_acl_logging_configuration").values():
        (destination,) = body["log_destination_configs"]
        group_id = destination.removeprefix("${aws_cloudwatch_log_group.").split(".")[0]
        group = stack.resources("aws_cloudwatch_log_group")[group_id]
        assert group["name"].startswith("aws-waf-logs-") and group["provider"] == body["provider"]


def test_the_web_acl_guards_a_stage_of_its_own_region(stack: Synth):
    for body in stack.resources("aws_wafv2_web_acl_association").values():
        stage_id = body["resource_arn"].removeprefix("${aws_api_gateway_stage.").split(".")[0]
        assert stack.resources("aws_api_gateway_stage")[stage_id]["provider"] == body["provider"]


def test_environment_variables_fit_4_kb(stack: Synth):
    for body in stack.resources("aws_lambda_function").values():
        variables: dict[str, Any] = body["environment"]["variables"]
        assert sum(len(k) + len(_resolved(v)) for k, v in variables.items()) <= 4096


def test_global_table_fits_dynamodb(stack: Synth):
    """At most 20 GSIs; streams on (global tables replicate through them); the replica in
    another region than the table."""
    table = stack.get("aws_dynamodb_table", "payments-table/table")
    assert len(table["global_secondary_index"]) <= 20
    assert table["stream_enabled"] is True and table["stream_view_type"] == "NEW_AND_OLD_IMAGES"
    regions = _regions(stack)
    for replica in stack.resources("aws_dynamodb_table_replica").values():
        assert regions[replica["provider"]] != regions[table["provider"]]
