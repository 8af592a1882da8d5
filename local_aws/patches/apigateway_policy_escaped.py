"""Gap: moto answers a REST API's resource policy as plain JSON text; API Gateway escapes it.

API Gateway answers ``GetRestApi`` (and ``CreateRestApi``/``UpdateRestApi``) with the ``policy``
"A stringified JSON policy document that applies to this RestApi regardless of the caller and
Method configuration" (https://docs.aws.amazon.com/apigateway/latest/api/API_GetRestApi.html),
JSON-escaped: its quotes as ``\\"`` and its forward slashes as ``\\/``. That page does not show
the escaping (undocumented there: assumed from the AWS provider, which reads every real answer that way,
internal/service/apigateway/rest_api.go ``flattenAPIPolicy``: "The API returns policy as an
escaped JSON string {\\\\\\"Version\\\\\\":\\\\\\"2012-10-17\\\\\\",...} The string must be
normalized before unquoting as it may contain escaped forward slashes in CIDR blocks"). The provider
wraps the string in quotes and unquotes it; moto 5.2.5's plain text then fails every read of an API
with a policy: "Error: invalid character 'S' after top-level value" (``terraform apply`` of the
stack's ``aws_api_gateway_rest_api_policy``, first run with this stack's resource policies).

This patch escapes the policy in every REST API answer, as AWS does. moto keeps the policy as it was
given (the data plane reads it from there: patches/apigateway_deployment_snapshot.py).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from moto.apigateway.models import RestAPI


def escaped(policy: str) -> str:
    """``policy`` as API Gateway answers it: a JSON string's content, ``/`` escaped too."""
    return json.dumps(policy)[1:-1].replace("/", "\\/")


def apply() -> None:
    original = RestAPI.to_dict

    @functools.wraps(original)
    def to_dict(self: RestAPI) -> dict[str, Any]:
        answer = original(self)
        if answer.get("policy"):
            answer["policy"] = escaped(answer["policy"])
        return answer

    RestAPI.to_dict = to_dict  # type: ignore[method-assign]
