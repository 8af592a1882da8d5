"""lib/lambda/contract.json: the one API contract the handler, the stack and the tools read."""

from __future__ import annotations

import json

from cli.handler_loader import load_handler
from lib import api_contract, regional_api
from lib.api_contract import (
    CONTRACT,
    CREATE_PAYMENT_SCHEMA,
    CUSTOMER_INDEX,
    MODELS,
    RECEIPTS_PREFIX,
    ROUTES,
    receipt_key,
)


def test_every_contract_route_is_served_by_the_handler_and_built_by_the_stack():
    handler = load_handler(AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1")
    contract = {(route["method"], route["path"]) for route in CONTRACT["routes"]}
    assert set(handler.ROUTE_FUNCTIONS) == contract  # no route without a function, nor the reverse
    assert regional_api.ROUTES is api_contract.ROUTES
    assert {(route.method, route.path) for route in ROUTES} == contract
    served = {(method, template) for _, template, methods in handler.ROUTES for method in methods}
    assert served == contract


def test_the_handler_reads_the_same_contract_the_stack_builds_from():
    handler = load_handler(AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1")
    assert handler.CONTRACT == CONTRACT
    assert handler.GSI_NAME == CUSTOMER_INDEX and handler._receipt_key("pay_1") == receipt_key("pay_1")
    assert handler.PUBLIC_FIELDS == api_contract.PUBLIC_FIELDS
    body = CONTRACT["create_payment"]
    assert handler.REQUIRED_FIELDS == tuple(CREATE_PAYMENT_SCHEMA["required"]) == tuple(body["required"])
    assert set(CREATE_PAYMENT_SCHEMA["properties"]) == handler.ALLOWED_FIELDS


def test_path_parameters_are_required_and_query_parameters_optional():
    by_path = {route.path: dict(route.parameters) for route in ROUTES}
    assert by_path["/payments/{payment_id}"] == {"method.request.path.payment_id": True}
    assert by_path["/customers/{customer_id}/payments"] == {
        "method.request.path.customer_id": True,
        "method.request.querystring.limit": False,
    }
    assert [(route.path, route.body_model) for route in ROUTES if route.body_model] == [
        ("/payments", "CreatePayment")
    ]
    assert [route.path for route in ROUTES if not route.api_key_required] == ["/health"]


def test_the_deployed_model_and_index_and_prefix_come_from_the_contract(dev):
    model = dev.get("aws_api_gateway_model", "api-primary/create-payment-model")
    assert json.loads(model["schema"]) == CREATE_PAYMENT_SCHEMA
    table = dev.get("aws_dynamodb_table", "payments-table/table")
    assert [index["name"] for index in table["global_secondary_index"]] == [CUSTOMER_INDEX]
    configuration = dev.get(
        "aws_s3_bucket_replication_configuration", "receipts-replication-primary/configuration"
    )
    (rule,) = configuration["rule"]
    assert rule["filter"] == {"prefix": RECEIPTS_PREFIX}


def test_the_contract_ships_in_the_lambda_package():
    shipped = sorted(p.name for p in regional_api.LAMBDA_SOURCE.iterdir() if p.suffix in (".py", ".json"))
    assert shipped == [
        "contract.json",
        "handler.py",
        "payments_contract.py",
        "payments_receipts.py",
        "payments_runtime.py",
        "payments_validation.py",
    ]


def test_every_receipt_key_is_under_the_prefix_the_grant_and_replication_match():
    """The grant (s3:PutObject on <prefix>*) and the replication filter use the prefix; a
    template whose payment id came first would write receipts the role may not write."""
    assert RECEIPTS_PREFIX == "receipts/"
    assert receipt_key("pay_001") == "receipts/pay_001.json"
    assert receipt_key("pay_001").startswith(RECEIPTS_PREFIX)


def test_every_body_route_names_a_model_named_by_its_schema():
    """A route's "body" names the contract section of its body; its model is that name in
    CamelCase, and a model's schema carries its name as its title."""
    assert {route.body_model for route in ROUTES if route.body_model} <= set(MODELS)
    assert all(schema["title"] == name for name, schema in MODELS.items())
    assert MODELS == {"CreatePayment": CREATE_PAYMENT_SCHEMA}
    assert api_contract.model_name("create_payment") == "CreatePayment"
    bodiless = {"method": "GET", "path": "/x", "api_key": True, "authorization": "NONE"}
    assert api_contract._route(bodiless).body_model is None
