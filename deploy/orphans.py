"""Creates an interrupted or failed apply may have left in AWS but not in the state: adopt them.

Terraform's graceful stop cancels the provider's in-flight calls. A create whose request AWS
had already carried out is then in AWS but not in the state ("Terraform state leaks on
interrupt": hashicorp/terraform-provider-aws#18051, #31731), and the next apply fails with
``EntityAlreadyExists`` for a name-unique resource. A response lost under load, whose request
the SDK then retries, ends the same way (the create succeeded, the retry conflicts): the
``EntityAlreadyExists`` seen on a brand-new emulator.

The runner records the creates an apply started and never finished, and before the next apply
adopts those AWS did complete, with Terraform's own ``import`` blocks (Terraform >= 1.5). A
resource is adopted when its import id follows from its planned values, or, for an API Gateway
resource (unique by parent and path: a retried ``CreateResource`` answers ``ConflictException``),
from a lookup by path with the provider's ``aws_api_gateway_resource`` data source. The others
(random ids and no unique name: KMS keys, REST APIs, request validators, API keys, usage plans,
certificates, health checks, zones, web ACLs, query-logging configs) are named so that an
operator can look, and the leftover check after a destroy finds a duplicate.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

CREATING = re.compile(r"^(\S+): Creating\.\.\.", re.MULTILINE)
CREATED = re.compile(r"^(\S+): Creation complete", re.MULTILINE)
# terraform plan, for an import block whose object does not exist.
NOT_FOUND = re.compile(r'import an existing object to "([^"]+)", the provider detected that no object exists')
# terraform plan, for a lookup (data source) that found nothing.
LOOKUP_FAILED = re.compile(r"^\s*with data\.[^.\s]+\.(\S+),", re.MULTILINE)
LOOKUP_PREFIX = "adopt_"
# A create refused because the object is already there (IAM, Lambda, DynamoDB, Logs, SSM, KMS,
# S3, API Gateway, Route 53 wording), followed by the address it was for.
CONFLICT = re.compile(
    r"Error: creating [^\n]*(?:AlreadyExists|already exists?|ResourceConflictException|ResourceInUseException"
    r"|ConflictException|BucketAlreadyOwnedByYou)[^\n]*\n(?:[^\n]*\n){0,3}?[^\S\n]*with (\S+),",
)


def _attr(name: str) -> Callable[[dict[str, Any], str], str | None]:
    return lambda values, _account: values.get(name) or None


def _policy_arn(values: dict[str, Any], account: str) -> str | None:
    if not values.get("name") or not account:
        return None
    return f"arn:aws:iam::{account}:policy{values.get('path') or '/'}{values['name']}"


def _joined(*names: str, sep: str = "/") -> Callable[[dict[str, Any], str], str | None]:
    return lambda values, _account: (
        sep.join(values[n] for n in names) if all(values.get(n) for n in names) else None
    )


def _record_id(values: dict[str, Any], _account: str) -> str | None:
    parts = [values.get("zone_id"), values.get("name"), values.get("type")]
    if not all(parts):
        return None
    return "_".join([*parts, *([values["set_identifier"]] if values.get("set_identifier") else [])])


def _replica_id(values: dict[str, Any], _account: str) -> str | None:
    """``<table name>:<the global table's region>``, from the table's ARN."""
    parts = str(values.get("global_table_arn") or "").split(":")
    if len(parts) < 6 or not parts[3] or "/" not in parts[5]:
        return None
    return f"{parts[5].split('/', 1)[1]}:{parts[3]}"


def _mapping_id(values: dict[str, Any], _account: str) -> str | None:
    """``<domain>/<base path>`` (an empty base path: ``<domain>/``)."""
    return f"{values['domain_name']}/{values.get('base_path') or ''}" if values.get("domain_name") else None


# The import id of each name-identified resource type of the stack, from its planned values
# (each resource's "Import" section in the provider documentation).
IMPORT_IDS: dict[str, Callable[[dict[str, Any], str], str | None]] = {
    "aws_iam_role": _attr("name"),
    "aws_iam_policy": _policy_arn,
    "aws_lambda_function": _attr("function_name"),
    "aws_lambda_permission": _joined("function_name", "statement_id"),
    "aws_cloudwatch_log_group": _attr("name"),
    "aws_ssm_parameter": _attr("name"),
    "aws_kms_alias": _attr("name"),
    "aws_dynamodb_table": _attr("name"),
    "aws_s3_bucket": _attr("bucket"),
    "aws_api_gateway_domain_name": _attr("domain_name"),
    "aws_route53_record": _record_id,
    "aws_dynamodb_table_replica": _replica_id,
    "aws_api_gateway_stage": _joined("rest_api_id", "stage_name"),
    "aws_api_gateway_model": _joined("rest_api_id", "name"),
    "aws_api_gateway_method": _joined("rest_api_id", "resource_id", "http_method"),
    "aws_api_gateway_integration": _joined("rest_api_id", "resource_id", "http_method"),
    "aws_api_gateway_gateway_response": _joined("rest_api_id", "response_type"),
    "aws_api_gateway_method_settings": _joined("rest_api_id", "stage_name", "method_path"),
    "aws_api_gateway_usage_plan_key": _joined("usage_plan_id", "key_id"),
    "aws_api_gateway_base_path_mapping": _mapping_id,
    # CreateBackupVault answers AlreadyExistsException for a name the region has (lib/backup.py).
    "aws_backup_vault": _attr("name"),
}
# Found by a lookup (a data source), not from the planned values alone.
LOOKED_UP = ("aws_api_gateway_resource",)
ADOPTABLE = frozenset(IMPORT_IDS) | frozenset(LOOKED_UP)


def _in_state(plan: dict[str, Any]) -> list[dict[str, Any]]:
    module = plan.get("prior_state", {}).get("values", {}).get("root_module", {})
    return list(module.get("resources", []))


def _resource_path(values: dict[str, Any], plan: dict[str, Any]) -> str | None:
    """The full path an ``aws_api_gateway_resource`` will have: its parent's path (a resource in
    the state, or the REST API's root) and its path part."""
    parent, part = values.get("parent_id"), values.get("path_part")
    if not parent or not part:
        return None
    for resource in _in_state(plan):
        known = resource.get("values", {})
        if resource.get("type") == "aws_api_gateway_rest_api" and known.get("root_resource_id") == parent:
            return f"/{part}"
        if resource.get("type") == "aws_api_gateway_resource" and known.get("id") == parent:
            return f"{known['path'].rstrip('/')}/{part}"
    return None


def unfinished_creates(apply_log: str) -> list[str]:
    """The addresses an apply started creating and never reported created, in log order."""
    done = set(CREATED.findall(apply_log))
    return [address for address in dict.fromkeys(CREATING.findall(apply_log)) if address not in done]


def conflicting_creates(apply_log: str) -> list[str]:
    """The addresses whose create failed because the object already exists."""
    return list(dict.fromkeys(CONFLICT.findall(apply_log)))


def missing_objects(plan_output: str, blocks: Iterable[dict[str, Any]] = ()) -> set[str]:
    """The import blocks a plan refused because their object does not exist (or their lookup
    found none)."""
    by_lookup = {b["lookup"]["name"]: b["to"] for b in blocks if "lookup" in b}
    failed = {by_lookup[name] for name in LOOKUP_FAILED.findall(plan_output) if name in by_lookup}
    return set(NOT_FOUND.findall(plan_output)) | failed


def adoption_document(blocks: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The Terraform JSON (``*.tf.json``) of the import blocks and the lookups they use."""
    imports, data = [], {}
    for block in blocks:
        imports.append({k: v for k, v in block.items() if k != "lookup"})
        if "lookup" in block:
            lookup = block["lookup"]
            data.setdefault(lookup["type"], {})[lookup["name"]] = lookup["config"]
    return {"import": imports, **({"data": data} if data else {})}


def account_of(plan: dict[str, Any]) -> str:
    """The account id Terraform read for ``data.aws_caller_identity`` while planning."""
    for section in ("prior_state", "planned_values"):
        values = plan.get(section, {})
        module = values.get("values", values).get("root_module", {})
        for resource in module.get("resources", []):
            if resource.get("type") == "aws_caller_identity":
                return str(resource.get("values", {}).get("account_id") or "")
    return ""


def import_blocks(
    plan: dict[str, Any], addresses: Iterable[str], config: dict[str, Any]
) -> tuple[list[dict[str, str]], list[str]]:
    """Import blocks for the ``addresses`` the plan would create and whose id follows from
    their planned values; and the addresses that cannot be adopted that way."""
    account = account_of(plan)
    creates = {
        change["address"]: change["change"].get("after") or {}
        for change in plan.get("resource_changes", [])
        if change.get("mode") == "managed" and change["change"].get("actions") == ["create"]
    }
    blocks: list[dict[str, str]] = []
    others: list[str] = []
    for address in addresses:
        if address not in creates:
            continue  # in the state after all, or no longer in the configuration
        kind, _, name = address.partition(".")
        provider = config.get("resource", {}).get(kind, {}).get(name, {}).get("provider")
        values = creates[address]
        make_id = IMPORT_IDS.get(kind)
        block: dict[str, Any] | None = None
        if make_id and (import_id := make_id(values, account)):
            block = {"to": address, "id": import_id}
        elif kind == "aws_api_gateway_resource" and (path := _resource_path(values, plan)):
            lookup = f"{LOOKUP_PREFIX}{name}"
            block = {
                "to": address,
                "id": f"{values['rest_api_id']}/${{data.aws_api_gateway_resource.{lookup}.id}}",
                "lookup": {
                    "type": "aws_api_gateway_resource",
                    "name": lookup,
                    "config": {
                        "rest_api_id": values["rest_api_id"],
                        "path": path,
                        **({"provider": provider} if provider else {}),
                    },
                },
            }
        if block is None:
            others.append(address)
            continue
        if provider:
            block["provider"] = provider
        blocks.append(block)
    return blocks, others
