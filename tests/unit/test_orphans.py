"""deploy/orphans.py: what an interrupted or failed apply left in AWS but not in the state, and
the import blocks that adopt it."""

from __future__ import annotations

from deploy.orphans import (
    ADOPTABLE,
    IMPORT_IDS,
    account_of,
    adoption_document,
    conflicting_creates,
    import_blocks,
    missing_objects,
    unfinished_creates,
)

APPLY_LOG = """\
aws_kms_key.key-primary_key_675389B5: Creating...
aws_iam_policy.api-primary_function-role_policy_F8E94018: Creating...
aws_iam_role.api-primary_function-role_8E9A1B2C: Creating...
aws_iam_role.api-primary_function-role_8E9A1B2C: Creation complete after 1s [id=tap-fn-primary-dev]
aws_kms_key.key-primary_key_675389B5: Still creating... [10s elapsed]
aws_s3_bucket.receipts-primary_bucket_1A2B3C4D: Creating...
aws_kms_key.key-primary_key_675389B5: Creation complete after 12s [id=1234abcd]
Stopping operation...
"""

# terraform apply -no-color, as the chaos run's rerun printed it (hashicorp/aws 5.100.0).
CONFLICT_LOG = """\
aws_iam_policy.api-primary_function-role_policy_F8E94018: Creating...

Error: creating IAM Policy (tap-payments-api-fn-primary-chaos): operation error IAM: CreatePolicy, \
https response error StatusCode: 409, RequestID: Wi1T, EntityAlreadyExists: A policy called \
tap-payments-api-fn-primary-chaos already exists. Duplicate names are not allowed.

  with aws_iam_policy.api-primary_function-role_policy_F8E94018,
  on cdk.tf.json line 1845, in resource.aws_iam_policy.api-primary_function-role_policy_F8E94018:
1845:       },

Error: creating CloudWatch Logs Log Group (/aws/lambda/tap-payments-api-primary-dev): operation \
error CloudWatch Logs: CreateLogGroup, https response error StatusCode: 400, RequestID: 1, \
ResourceAlreadyExistsException: The specified log group already exists

  with aws_cloudwatch_log_group.api-primary_function-logs_55AA66BB,
  on cdk.tf.json line 700, in resource.aws_cloudwatch_log_group.api-primary_function-logs_55AA66BB:
 700:       },

Error: creating Lambda Function (tap-payments-api-primary-dev): operation error Lambda: \
CreateFunction, https response error StatusCode: 400, InvalidParameterValueException: The role \
defined for the function cannot be assumed by Lambda.

  with aws_lambda_function.api-primary_function_69A9484F,
"""


def test_unfinished_creates_are_the_started_and_never_completed_in_log_order():
    assert unfinished_creates(APPLY_LOG) == [
        "aws_iam_policy.api-primary_function-role_policy_F8E94018",
        "aws_s3_bucket.receipts-primary_bucket_1A2B3C4D",
    ]
    assert unfinished_creates("No changes. Your infrastructure matches the configuration.") == []


def test_only_already_exists_refusals_count_as_conflicts():
    assert conflicting_creates(CONFLICT_LOG) == [
        "aws_iam_policy.api-primary_function-role_policy_F8E94018",
        "aws_cloudwatch_log_group.api-primary_function-logs_55AA66BB",
    ]  # the Lambda's role error is not a conflict: adopting would hide it


def test_import_blocks_a_plan_refused_for_missing_objects_are_named():
    output = (
        "Error: Cannot import non-existent remote object\n\nWhile attempting to import an existing object to "
        '"aws_ssm_parameter.monitoring_param_1", the provider detected that no object exists with the given '
        "id. Only pre-existing objects can be imported; check that the id is correct.\n"
    )
    assert missing_objects(output) == {"aws_ssm_parameter.monitoring_param_1"}
    assert missing_objects("Plan: 0 to add, 0 to change, 0 to destroy.") == set()


def _plan(*changes: tuple[str, list[str], dict]) -> dict:
    return {
        "prior_state": {
            "values": {
                "root_module": {
                    "resources": [
                        {
                            "type": "aws_caller_identity",
                            "mode": "data",
                            "values": {"account_id": "123456789012"},
                        }
                    ]
                }
            }
        },
        "resource_changes": [
            {"address": address, "mode": "managed", "change": {"actions": actions, "after": after}}
            for address, actions, after in changes
        ],
    }


def test_import_blocks_follow_from_the_planned_values_with_the_resources_provider():
    plan = _plan(
        ("aws_iam_policy.p", ["create"], {"name": "tap-fn-primary-dev", "path": "/"}),
        ("aws_lambda_permission.perm", ["create"], {"function_name": "fn", "statement_id": "AllowApi"}),
        (
            "aws_route53_record.r",
            ["create"],
            {"zone_id": "Z1", "name": "api.x.net", "type": "A", "set_identifier": "primary"},
        ),
        ("aws_kms_key.k", ["create"], {"description": "data key"}),  # random id: not adoptable
        (
            "aws_dynamodb_table_replica.rep",
            ["create"],
            {"global_table_arn": "arn:aws:dynamodb:us-east-1:123456789012:table/tap-payments-dev"},
        ),
        ("aws_api_gateway_base_path_mapping.m", ["create"], {"domain_name": "api.x.net", "base_path": None}),
        ("aws_s3_bucket.b", ["update"], {"bucket": "b"}),  # in the state after all
    )
    config = {"resource": {"aws_iam_policy": {"p": {"provider": "aws.primary"}}}}
    addresses = [
        "aws_iam_policy.p",
        "aws_lambda_permission.perm",
        "aws_route53_record.r",
        "aws_kms_key.k",
        "aws_dynamodb_table_replica.rep",
        "aws_api_gateway_base_path_mapping.m",
        "aws_s3_bucket.b",
        "aws_iam_role.gone",
    ]
    blocks, others = import_blocks(plan, addresses, config)
    assert blocks == [
        {
            "to": "aws_iam_policy.p",
            "id": "arn:aws:iam::123456789012:policy/tap-fn-primary-dev",
            "provider": "aws.primary",
        },
        {"to": "aws_lambda_permission.perm", "id": "fn/AllowApi"},
        {"to": "aws_route53_record.r", "id": "Z1_api.x.net_A_primary"},
        {"to": "aws_dynamodb_table_replica.rep", "id": "tap-payments-dev:us-east-1"},
        {"to": "aws_api_gateway_base_path_mapping.m", "id": "api.x.net/"},
    ]
    assert others == ["aws_kms_key.k"]


def test_an_id_that_is_not_known_at_plan_time_is_not_guessed():
    plan = _plan(
        ("aws_route53_record.r", ["create"], {"name": "api.x.net", "type": "A"}),  # zone id unknown
        ("aws_lambda_permission.p", ["create"], {"function_name": "fn"}),
        ("aws_iam_role.r", ["create"], {}),
        ("aws_dynamodb_table_replica.t", ["create"], {"global_table_arn": None}),
        ("aws_api_gateway_base_path_mapping.m", ["create"], {}),
    )
    addresses = [
        "aws_route53_record.r",
        "aws_lambda_permission.p",
        "aws_iam_role.r",
        "aws_dynamodb_table_replica.t",
        "aws_api_gateway_base_path_mapping.m",
    ]
    blocks, others = import_blocks(plan, addresses, {})
    assert blocks == [] and others == addresses
    del plan["prior_state"]
    assert account_of(plan) == ""
    assert IMPORT_IDS["aws_iam_policy"]({"name": "p"}, "") is None  # no account, no ARN


def test_every_name_identified_type_of_the_stack_has_an_import_id(dev, prod):
    """A type whose create AWS refuses as a duplicate must be adoptable, or a stopped apply leaves
    the next one failing: the stack's types are either adoptable or known to need a lookup."""
    not_by_name = {  # random ids, or creates that are upserts (harmless to repeat)
        "aws_acm_certificate",
        "aws_acm_certificate_validation",
        "aws_api_gateway_account",
        "aws_api_gateway_api_key",
        "aws_api_gateway_deployment",
        "aws_api_gateway_request_validator",
        "aws_api_gateway_rest_api",
        "aws_api_gateway_rest_api_policy",  # UpdateRestApi's /policy: an upsert
        "aws_api_gateway_usage_plan",
        "aws_backup_plan",  # its id is AWS's (an identical CreateBackupPlan answers AlreadyExists)
        "aws_backup_selection",  # <plan id>|<selection id>: AWS's ids
        "aws_backup_vault_lock_configuration",  # PutBackupVaultLockConfiguration: an upsert
        "aws_backup_vault_policy",  # PutBackupVaultAccessPolicy: an upsert
        "aws_cloudwatch_log_resource_policy",
        "aws_cloudwatch_metric_alarm",
        "aws_iam_role_policy_attachment",
        "aws_kms_key",
        "aws_route53_health_check",
        "aws_route53_query_log",
        "aws_route53_zone",
        "aws_s3_bucket_lifecycle_configuration",
        "aws_s3_bucket_logging",
        "aws_s3_bucket_policy",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_replication_configuration",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_versioning",
        "aws_sns_topic",
        "aws_sns_topic_subscription",  # its ARN ends in an id SNS assigns
        "aws_wafv2_web_acl",
        "aws_wafv2_web_acl_association",
        "aws_wafv2_web_acl_logging_configuration",
    }
    types = set(dev.json["resource"]) | set(prod.json["resource"])  # prod: the vault locks
    assert types - not_by_name == set(ADOPTABLE)


def _with_state(plan: dict, *resources: dict) -> dict:
    plan["prior_state"]["values"]["root_module"]["resources"].extend(resources)
    return plan


def test_an_api_gateway_resource_is_adopted_by_a_lookup_of_its_full_path():
    """Not unique by a name of its own, but by parent and path (a retried CreateResource answers
    ConflictException): the import id comes from the data source that finds it by path."""
    plan = _with_state(
        _plan(
            (
                "aws_api_gateway_resource.health",
                ["create"],
                {"rest_api_id": "api1", "parent_id": "root1", "path_part": "health"},
            ),
            (
                "aws_api_gateway_resource.pid",
                ["create"],
                {"rest_api_id": "api1", "parent_id": "res1", "path_part": "{payment_id}"},
            ),
            (
                "aws_api_gateway_resource.orphan",
                ["create"],
                {"rest_api_id": "api1", "parent_id": "gone", "path_part": "x"},
            ),
            ("aws_api_gateway_resource.unknown", ["create"], {"rest_api_id": "api1", "path_part": "y"}),
        ),
        {
            "type": "aws_api_gateway_rest_api",
            "mode": "managed",
            "values": {"id": "api1", "root_resource_id": "root1"},
        },
        {
            "type": "aws_api_gateway_resource",
            "mode": "managed",
            "values": {"id": "res1", "path": "/payments"},
        },
    )
    config = {"resource": {"aws_api_gateway_resource": {"pid": {"provider": "aws.secondary"}}}}
    addresses = [
        "aws_api_gateway_resource.health",
        "aws_api_gateway_resource.pid",
        "aws_api_gateway_resource.orphan",
        "aws_api_gateway_resource.unknown",
    ]
    blocks, others = import_blocks(plan, addresses, config)
    assert others == ["aws_api_gateway_resource.orphan", "aws_api_gateway_resource.unknown"]
    assert adoption_document(blocks) == {
        "import": [
            {
                "to": "aws_api_gateway_resource.health",
                "id": "api1/${data.aws_api_gateway_resource.adopt_health.id}",
            },
            {
                "to": "aws_api_gateway_resource.pid",
                "id": "api1/${data.aws_api_gateway_resource.adopt_pid.id}",
                "provider": "aws.secondary",
            },
        ],
        "data": {
            "aws_api_gateway_resource": {
                "adopt_health": {"rest_api_id": "api1", "path": "/health"},
                "adopt_pid": {
                    "rest_api_id": "api1",
                    "path": "/payments/{payment_id}",
                    "provider": "aws.secondary",
                },
            }
        },
    }
    # A lookup that finds nothing (the create never happened) drops that block only.
    output = (
        'Error: no Resources with path "/payments/{payment_id}" found for rest api "api1"\n\n'
        "  with data.aws_api_gateway_resource.adopt_pid,\n  on adopt-unfinished.tf.json line 12\n"
    )
    assert missing_objects(output, blocks) == {"aws_api_gateway_resource.pid"}
    assert adoption_document([]) == {"import": []}
