"""lib/regional_api.py: one region's Lambda + API Gateway, built by the same code twice."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path

import pytest

from lib import api_access, regional_api
from tests.unit.conftest import REGIONS

ACCOUNT = "${data.aws_caller_identity.caller.account_id}"
ROUTE_IDS = {
    ("POST", "/payments"): "post-payments",
    ("GET", "/payments/{payment_id}"): "get-payments-payment_id",
    ("GET", "/customers/{customer_id}/payments"): "get-customers-customer_id-payments",
    ("GET", "/health"): "get-health",
}


def method(synth, role, route_id):
    return synth.get("aws_api_gateway_method", f"api-{role}/method-{route_id}")


# --- the Lambda package ------------------------------------------------------------------


def test_asset_stages_only_python_sources(tmp_path, monkeypatch):
    """A __pycache__ (or any non-.py file) must not change the package or its hash."""
    from cdktf import TerraformStack, Testing

    source = tmp_path / "lambda"
    (source / "__pycache__").mkdir(parents=True)
    (source / "handler.py").write_text("def handler(event, context):\n    return {}\n")
    (source / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"\x00stale bytecode")
    (source / "notes.txt").write_text("not shipped")
    monkeypatch.setattr(regional_api, "LAMBDA_SOURCE", source)

    asset = regional_api.lambda_asset(TerraformStack(Testing.app(), "asset-test"))
    expected = hashlib.md5((source / "handler.py").read_bytes(), usedforsecurity=False).hexdigest().upper()
    assert asset.asset_hash == expected
    assert asset.path.endswith(f"/{expected}/archive.zip")


def test_deployed_hash_is_the_handler_source_hash(dev):
    source = Path(regional_api.LAMBDA_SOURCE)
    sources = sorted([*source.glob("*.py"), *source.glob("*.json")])  # what is shipped
    digest = hashlib.md5(b"".join(p.read_bytes() for p in sources), usedforsecurity=False).hexdigest().upper()
    for role, _ in REGIONS:
        assert dev.get("aws_lambda_function", f"api-{role}/function")["source_code_hash"] == digest


# --- REST API --------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_rest_api_is_regional(dev, role, region):
    api = dev.get("aws_api_gateway_rest_api", f"api-{role}/rest-api")
    assert api["name"] == f"tap-payments-api-{role}-dev"
    assert api["endpoint_configuration"] == {"types": ["REGIONAL"]}
    assert api["lifecycle"] == {"create_before_destroy": True}


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_resource_tree(dev, role, region):
    parts = {
        body["path_part"]: body
        for body in dev.resources("aws_api_gateway_resource").values()
        if body["provider"] == f"aws.{role}"
    }
    assert set(parts) == {"payments", "{payment_id}", "customers", "{customer_id}", "health"}
    root = dev.ref("aws_api_gateway_rest_api", f"api-{role}/rest-api", "root_resource_id")
    assert parts["payments"]["parent_id"] == root
    assert parts["{payment_id}"]["parent_id"] == dev.ref(
        "aws_api_gateway_resource", f"api-{role}/resource-payments", "id"
    )
    # /customers/{customer_id}/payments is its own "payments" resource under {customer_id}.
    nested = dev.get("aws_api_gateway_resource", f"api-{role}/resource-customers-customer_id-payments")
    assert nested["path_part"] == "payments"
    assert nested["parent_id"] == dev.ref(
        "aws_api_gateway_resource", f"api-{role}/resource-customers-customer_id", "id"
    )


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_methods_require_api_keys_and_signatures_except_health(dev, role, region):
    validator = dev.ref("aws_api_gateway_request_validator", f"api-{role}/validator", "id")
    for (verb, path), route_id in ROUTES_IDS_ITEMS:
        body = method(dev, role, route_id)
        assert body["http_method"] == verb
        assert body["authorization"] == ("NONE" if path == "/health" else "AWS_IAM"), path
        assert body["api_key_required"] is (path != "/health"), path
        assert body["request_validator_id"] == validator


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_request_validation(dev, role, region):
    validator = dev.get("aws_api_gateway_request_validator", f"api-{role}/validator")
    assert validator["validate_request_body"] is True
    assert validator["validate_request_parameters"] is True
    model = dev.get("aws_api_gateway_model", f"api-{role}/create-payment-model")
    assert model["content_type"] == "application/json"
    schema = json.loads(model["schema"])
    assert schema["required"] == ["amount", "currency", "customer_id"]
    assert schema["additionalProperties"] is False
    assert method(dev, role, "post-payments")["request_models"] == {
        "application/json": dev.ref("aws_api_gateway_model", f"api-{role}/create-payment-model", "name")
    }
    assert method(dev, role, "get-payments-payment_id")["request_parameters"] == {
        "method.request.path.payment_id": True
    }
    assert method(dev, role, "get-customers-customer_id-payments")["request_parameters"] == {
        "method.request.path.customer_id": True,
        "method.request.querystring.limit": False,
    }


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_every_route_proxies_to_the_regions_function(dev, role, region):
    invoke_arn = dev.ref("aws_lambda_function", f"api-{role}/function", "invoke_arn")
    for _, route_id in ROUTES_IDS_ITEMS:
        integration = dev.get("aws_api_gateway_integration", f"api-{role}/integration-{route_id}")
        assert integration["type"] == "AWS_PROXY"
        assert integration["integration_http_method"] == "POST"
        assert integration["uri"] == invoke_arn
        assert integration["http_method"] == dev.ref(
            "aws_api_gateway_method", f"api-{role}/method-{route_id}", "http_method"
        )
    permission = dev.get("aws_lambda_permission", f"api-{role}/invoke-permission")
    assert permission["principal"] == "apigateway.amazonaws.com"
    assert permission["source_arn"] == (
        dev.ref("aws_api_gateway_rest_api", f"api-{role}/rest-api", "execution_arn") + "/*/*/*"
    )


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_gateway_errors_use_the_handlers_error_shape(dev, role, region):
    responses = {
        body["response_type"]: body["response_templates"]["application/json"]
        for body in dev.resources("aws_api_gateway_gateway_response").values()
        if body["provider"] == f"aws.{role}"
    }
    assert responses == {
        "DEFAULT_4XX": '{"error": $context.error.messageString}',
        "DEFAULT_5XX": '{"error": "Internal server error"}',
    }


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_deployment_is_recreated_when_the_api_changes(dev, role, region):
    deployment = dev.get("aws_api_gateway_deployment", f"api-{role}/deployment")
    assert deployment["lifecycle"] == {"create_before_destroy": True}
    trigger = deployment["triggers"]["redeployment"]
    shape = api_access.resource_policy("<api>", "v1", regional_api.ROUTES, "<account>", caller_accounts=[])
    assert trigger.startswith("${sha1(jsonencode([") and regional_api._route_signature(shape) in trigger
    for _, route_id in ROUTES_IDS_ITEMS:
        assert dev.logical_id("aws_api_gateway_method", f"api-{role}/method-{route_id}") in trigger
        assert dev.logical_id("aws_api_gateway_integration", f"api-{role}/integration-{route_id}") in trigger
    assert len(deployment["depends_on"]) == 2 * len(ROUTE_IDS) + 1  # and the resource policy


def test_route_signature_changes_with_the_api_definition(monkeypatch):
    before = regional_api._route_signature({})
    monkeypatch.setattr(regional_api, "ROUTES", regional_api.ROUTES[:-1])
    assert regional_api._route_signature({}) != before
    monkeypatch.undo()
    # a route that changes only its authorization is a new definition too
    flipped = tuple(dataclasses.replace(r, authorization="NONE") for r in regional_api.ROUTES)
    monkeypatch.setattr(regional_api, "ROUTES", flipped)
    assert regional_api._route_signature({}) != before


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_stage_with_access_logs(dev, role, region):
    stage = dev.get("aws_api_gateway_stage", f"api-{role}/stage")
    assert stage["stage_name"] == "v1"
    assert stage["deployment_id"] == dev.ref("aws_api_gateway_deployment", f"api-{role}/deployment", "id")
    settings = stage["access_log_settings"]
    assert settings["destination_arn"] == dev.ref(
        "aws_cloudwatch_log_group", f"api-{role}/access-logs", "arn"
    )
    assert json.loads(settings["format"])["requestId"] == "$context.requestId"
    assert stage["xray_tracing_enabled"] is True
    # Logging needs the account's CloudWatch role in the region first (this stack owns it).
    assert stage["depends_on"] == [
        dev.address("aws_api_gateway_account", f"account-settings/apigateway-{role}")
    ]

    access = dev.get("aws_cloudwatch_log_group", f"api-{role}/access-logs")
    assert access["name"] == f"/aws/apigateway/tap-payments-api-{role}-dev/access"
    assert access["kms_key_id"] == dev.ref("aws_kms_key", f"key-{role}/key", "arn")

    settings = dev.get("aws_api_gateway_method_settings", f"api-{role}/method-settings")
    assert settings["method_path"] == "*/*"
    assert settings["settings"] == {
        "metrics_enabled": True,
        "logging_level": "ERROR",
        "data_trace_enabled": False,
        "throttling_rate_limit": 50,
        "throttling_burst_limit": 100,
    }
    # Execution logging starts with the method settings: the group must exist by then.
    assert settings["depends_on"] == [dev.address("aws_cloudwatch_log_group", f"api-{role}/execution-logs")]


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_execution_logs_go_to_a_managed_encrypted_group(dev, role, region):
    """With a logging level set, API Gateway writes to API-Gateway-Execution-Logs_<api id>/<stage>
    and creates that group itself (unencrypted, kept forever, left behind by destroy) unless
    it exists: the stack declares it."""
    group = dev.get("aws_cloudwatch_log_group", f"api-{role}/execution-logs")
    api_id = dev.ref("aws_api_gateway_rest_api", f"api-{role}/rest-api", "id")
    assert group["name"] == f"API-Gateway-Execution-Logs_{api_id}/v1"
    assert group["kms_key_id"] == dev.ref("aws_kms_key", f"key-{role}/key", "arn")
    assert group["retention_in_days"] == 7
    assert group["provider"] == f"aws.{role}"


def test_stages_of_an_environment_that_does_not_own_the_account_settings(eu):
    """It uses the account's CloudWatch role without declaring (or ever resetting) it."""
    assert eu.count("aws_api_gateway_account") == 0
    for role in ("primary", "secondary"):
        assert "depends_on" not in eu.get("aws_api_gateway_stage", f"api-{role}/stage")


@pytest.mark.parametrize(
    ("fixture", "rate", "burst", "quota"), [("dev", 50, 100, 10_000), ("prod", 1_000, 2_000, 5_000_000)]
)
def test_usage_plan_throttle_and_quota(request, fixture, rate, burst, quota):
    synth = request.getfixturevalue(fixture)
    for role, _ in REGIONS:
        plan = synth.get("aws_api_gateway_usage_plan", f"api-{role}/usage-plan")
        assert plan["throttle_settings"] == {"rate_limit": rate, "burst_limit": burst}
        assert plan["quota_settings"] == {"limit": quota, "period": "DAY"}
        assert plan["api_stages"] == [
            {
                "api_id": synth.ref("aws_api_gateway_rest_api", f"api-{role}/rest-api", "id"),
                "stage": synth.ref("aws_api_gateway_stage", f"api-{role}/stage", "stage_name"),
            }
        ]
        key = synth.get("aws_api_gateway_usage_plan_key", f"api-{role}/usage-plan-key")
        assert key["key_type"] == "API_KEY"
        assert key["key_id"] == synth.ref("aws_api_gateway_api_key", f"api-{role}/api-key", "id")


def test_one_api_key_value_works_in_both_regions(dev):
    primary = dev.get("aws_api_gateway_api_key", "api-primary/api-key")
    secondary = dev.get("aws_api_gateway_api_key", "api-secondary/api-key")
    assert "value" not in primary  # generated by API Gateway
    assert secondary["value"] == dev.ref("aws_api_gateway_api_key", "api-primary/api-key", "value")
    assert primary["enabled"] is True and secondary["enabled"] is True


ROUTES_IDS_ITEMS = tuple(ROUTE_IDS.items())


def test_route_table_matches_the_expected_routes():
    assert {(r.method, r.path) for r in regional_api.ROUTES} == set(ROUTE_IDS)


# --- the gateway's request model and the handler agree -------------------------------------

ID_SAMPLES = ["a", "A-b_9", "x" * 64, "x" * 65, "x" * 128, "x" * 129, "", "a b", "a/b", "é", "a.b"]


@pytest.fixture(scope="module")
def handler_module():
    from cli.handler_loader import load_handler

    with pytest.MonkeyPatch.context() as env:  # keep the handler's env out of other tests
        env.setenv("AWS_REGION", "us-east-1")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        yield load_handler()


def _handler_accepts(fn, *args):
    try:
        fn(*args)
    except Exception:
        return False
    return True


@pytest.mark.parametrize("value", ID_SAMPLES)
def test_model_id_patterns_match_the_handler(handler_module, value):
    h = handler_module
    gateway_payment = re.fullmatch(regional_api.PAYMENT_ID_PATTERN.strip("^$"), value) is not None
    gateway_customer = re.fullmatch(regional_api.CUSTOMER_ID_PATTERN.strip("^$"), value) is not None
    assert gateway_payment == _handler_accepts(h._check_id, value, "payment_id", h.PAYMENT_ID_MAX)
    assert gateway_customer == _handler_accepts(h._check_id, value, "customer_id", h.CUSTOMER_ID_MAX)


@pytest.mark.parametrize("value", ["EUR", "USD", "eur", "EU", "EURO", "E1R", ""])
def test_model_currency_pattern_matches_the_handler(handler_module, value):
    gateway = re.fullmatch(regional_api.CURRENCY_PATTERN.strip("^$"), value) is not None
    assert gateway == (handler_module.CURRENCY_RE.fullmatch(value) is not None)


def test_model_fields_match_the_handler(handler_module):
    schema = regional_api.CREATE_PAYMENT_SCHEMA
    assert set(schema["properties"]) == set(handler_module.ALLOWED_FIELDS)
    assert tuple(schema["required"]) == handler_module.REQUIRED_FIELDS
    description = {"amount": "1", "currency": "EUR", "customer_id": "c"}
    limit = schema["properties"]["description"]["maxLength"]
    assert _handler_accepts(handler_module._validate_payment, {**description, "description": "d" * limit})
    assert not _handler_accepts(
        handler_module._validate_payment, {**description, "description": "d" * (limit + 1)}
    )


def test_the_handlers_retry_budget_fits_the_functions_timeout(handler_module):
    """The SDK's worst case for one AWS call (attempts x (connect + read) + backoff) plus the
    margin for a clean answer fits in the deployed timeout: the old 3 x (2 + 4) s = 18 s did
    not fit in 10 s. The handler starts no call with less than that left (a 503 instead)."""
    config = handler_module.BOTO_CONFIG
    assert config.retries == {"mode": "standard", "total_max_attempts": handler_module.MAX_ATTEMPTS}
    worst = handler_module.MAX_ATTEMPTS * (config.connect_timeout + config.read_timeout)
    assert worst + handler_module.MAX_BACKOFF == handler_module.CALL_BUDGET_SECONDS
    assert (
        handler_module.CALL_BUDGET_SECONDS + handler_module.ANSWER_MARGIN_SECONDS
        < regional_api.LAMBDA_TIMEOUT_SECONDS
    )


# --- each body route is validated by its own model ----------------------------------------

# A second body route with a body of its own: what a contract that grows a refund would add.
REFUND_ROUTE = {
    "method": "PUT",
    "path": "/payments/{payment_id}/refund",
    "api_key": True,
    "authorization": "AWS_IAM",
    "body": "refund",
}
REFUND_SCHEMA = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "title": "Refund",
    "type": "object",
    "additionalProperties": False,
    "required": ["reason"],
    "properties": {"reason": {"type": "string", "maxLength": 256}},
}


@pytest.fixture(scope="module")
def with_refund():
    """The dev stack of a contract with PUT /payments/{payment_id}/refund, whose body is a Refund."""
    from lib import api_contract
    from tests.unit.conftest import DEV_ENV, _synth

    models = {"CreatePayment": api_contract.CREATE_PAYMENT_SCHEMA, "Refund": REFUND_SCHEMA}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(regional_api, "ROUTES", (*regional_api.ROUTES, api_contract._route(REFUND_ROUTE)))
        patch.setattr(regional_api, "MODELS", models, raising=False)  # False: also fails on code without it
        yield _synth(DEV_ENV)


@pytest.mark.parametrize(("role", "region"), REGIONS)
def test_each_body_route_is_validated_by_its_own_model(with_refund, role, region):
    """Not every body is a CreatePayment: the refund route's body is checked against the
    Refund schema, and POST /payments keeps its own."""
    synth = with_refund
    models = {
        f"${{aws_api_gateway_model.{logical_id}.name}}": body
        for logical_id, body in synth.resources("aws_api_gateway_model").items()
        if body["provider"] == f"aws.{role}"
    }

    def model_of(route_id):
        return models[method(synth, role, route_id)["request_models"]["application/json"]]

    refund, create = model_of("put-payments-payment_id-refund"), model_of("post-payments")
    assert (refund["name"], json.loads(refund["schema"])) == ("Refund", REFUND_SCHEMA)
    create_payment = regional_api.CREATE_PAYMENT_SCHEMA
    assert (create["name"], json.loads(create["schema"])) == ("CreatePayment", create_payment)
    assert len(models) == 2
    assert refund is synth.get("aws_api_gateway_model", f"api-{role}/refund-model")
    assert create is synth.get("aws_api_gateway_model", f"api-{role}/create-payment-model")
    for route_id in ("get-payments-payment_id", "get-customers-customer_id-payments", "get-health"):
        assert "request_models" not in method(synth, role, route_id)


def test_route_signature_changes_with_a_routes_model(monkeypatch):
    """Moving a body route to another model (updated in place) must redeploy the stage."""
    from lib import api_contract

    before = regional_api._route_signature({})
    refund = api_contract._route(
        {"method": "POST", "path": "/payments", "api_key": True, "authorization": "AWS_IAM", "body": "refund"}
    )
    monkeypatch.setattr(regional_api, "ROUTES", (refund, *regional_api.ROUTES[1:]))
    monkeypatch.setattr(regional_api, "MODELS", {"Refund": REFUND_SCHEMA})
    assert regional_api._route_signature({}) != before
