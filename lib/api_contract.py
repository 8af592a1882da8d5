"""The payments API's contract, read from ``lib/lambda/contract.json``: the one place that names
the routes, the request body's fields and limits, the customer index and the receipts prefix.

The handler reads the same file from its own package (the zip stays self-contained); the stack
builds the API Gateway routes and their request models from it here; tools and tests import this
module (it loads no jsii).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).parent / "lambda"  # the Lambda package: zipped as it is
CONTRACT_FILE = PACKAGE_DIR / "contract.json"
CONTRACT: dict[str, Any] = json.loads(CONTRACT_FILE.read_text())

CUSTOMER_INDEX: str = CONTRACT["customer_index"]
RECEIPT_KEY: str = CONTRACT["receipt_key"]  # "receipts/{payment_id}.json"
# What the receipts' IAM grant and replication rule match: the key up to the payment id.
RECEIPTS_PREFIX: str = RECEIPT_KEY.partition("{payment_id}")[0]
PUBLIC_FIELDS: tuple[str, ...] = tuple(CONTRACT["public_fields"])
_BODY = CONTRACT["create_payment"]


def package_files(source: Path = PACKAGE_DIR) -> list[Path]:
    """What the Lambda package ships: the ``*.py`` sources and the ``*.json`` data (the contract),
    never a ``__pycache__`` a test run left (it would change the zip, its hash and the deployed
    function). The stack's asset and the emulator tests' zip are both built from this list."""
    return sorted([*source.glob("*.py"), *source.glob("*.json")])


def receipt_key(payment_id: str) -> str:
    """Where the handler writes a payment's receipt in its region's bucket."""
    return RECEIPT_KEY.format(payment_id=payment_id)


_PATH_PARAMETER = re.compile(r"\{(\w+)\}")


# A route's "authorization": API Gateway's authorizationType for its method. AWS_IAM: the caller
# signs with SigV4 and needs execute-api:Invoke on the method's ARN; NONE: anyone (the health
# probe Route 53's checkers call, which cannot sign).
AUTHORIZATIONS = ("AWS_IAM", "NONE")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    api_key_required: bool
    parameters: tuple[tuple[str, bool], ...] = ()  # (API Gateway request parameter, required)
    body_model: str | None = None  # the name of the model (MODELS) its JSON body must match
    authorization: str = "AWS_IAM"

    @property
    def signed(self) -> bool:
        """Whether a caller must sign (SigV4) and hold execute-api:Invoke on this route."""
        return self.authorization == "AWS_IAM"

    @property
    def arn_path(self) -> str:
        """The route in an execute-api ARN (``{stage}/{METHOD}/{this}``): the path without its
        leading slash, each ``{parameter}`` a ``*``: ``customers/*/payments``."""
        return _PATH_PARAMETER.sub("*", self.path).lstrip("/")


def model_name(body: str) -> str:
    """The API Gateway model of a route's ``"body"``, which names the contract section that
    describes it: ``create_payment`` -> ``CreatePayment``."""
    return "".join(part.capitalize() for part in body.split("_"))


def _route(entry: dict[str, Any]) -> Route:
    if entry.get("authorization") not in AUTHORIZATIONS:
        raise ValueError(
            f"contract route {entry['method']} {entry['path']}: authorization must be one of "
            f"{', '.join(AUTHORIZATIONS)}, not {entry.get('authorization')!r}"
        )
    path_parameters = [
        (f"method.request.path.{name}", True) for name in _PATH_PARAMETER.findall(entry["path"])
    ]
    query_parameters = [(f"method.request.querystring.{name}", False) for name in entry.get("query", [])]
    return Route(
        entry["method"],
        entry["path"],
        entry["api_key"],
        tuple(path_parameters + query_parameters),
        body_model=model_name(entry["body"]) if "body" in entry else None,
        authorization=entry["authorization"],
    )


ROUTES: tuple[Route, ...] = tuple(_route(entry) for entry in CONTRACT["routes"])


def _id_pattern(max_length: int) -> str:
    return f"^{_BODY['id_characters']}{{1,{max_length}}}$"


# The API Gateway model of POST /payments (JSON Schema draft 4): API Gateway rejects a bad body
# before the function runs; the handler checks the same rules (and more: amounts, Unicode).
CREATE_PAYMENT_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "title": "CreatePayment",
    "type": "object",
    "additionalProperties": False,
    "required": list(_BODY["required"]),
    "properties": {
        "payment_id": {"type": "string", "pattern": _id_pattern(_BODY["payment_id_max"])},
        "amount": {"type": ["number", "string"]},
        "currency": {"type": "string", "pattern": f"^{_BODY['currency_pattern']}$"},
        "customer_id": {"type": "string", "pattern": _id_pattern(_BODY["customer_id_max"])},
        "description": {"type": "string", "maxLength": _BODY["description_max"]},
    },
}

# The request models by name: a route's ``body_model`` is a key. A model's name is its schema's
# title, so the schema alone says which model it is (the stage's redeployment hash relies on it).
MODELS: dict[str, dict[str, Any]] = {schema["title"]: schema for schema in (CREATE_PAYMENT_SCHEMA,)}
