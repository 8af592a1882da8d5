"""Stricter: Lambda refuses a function configuration that sets a reserved environment variable.

AWS: "Lambda runtimes set several environment variables during initialization. Most of the
environment variables provide information about the function or runtime. The keys for these
environment variables are reserved and cannot be set in your function configuration."
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html, "Defined runtime
environment variables"); the console's requirements for a key: "Keys aren't reserved by Lambda".
The reserved keys are the ones that page lists: ``_HANDLER``, ``_X_AMZN_TRACE_ID``,
``AWS_DEFAULT_REGION``, ``AWS_REGION``, ``AWS_EXECUTION_ENV``, ``AWS_LAMBDA_FUNCTION_NAME``,
``AWS_LAMBDA_FUNCTION_MEMORY_SIZE``, ``AWS_LAMBDA_FUNCTION_VERSION``,
``AWS_LAMBDA_INITIALIZATION_TYPE``, ``AWS_LAMBDA_LOG_GROUP_NAME``,
``AWS_LAMBDA_LOG_STREAM_NAME``, ``AWS_ACCESS_KEY``, ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_LAMBDA_RUNTIME_API``,
``LAMBDA_TASK_ROOT``, ``LAMBDA_RUNTIME_DIR``; the ones it lists as "aren't reserved and can be
extended in your function configuration" (``LANG``, ``PATH``, ``TZ``, ``PYTHONPATH`` ...) stay
allowed.

moto 5.2.5 stores any key, so a configuration AWS rejects at CreateFunction or
UpdateFunctionConfiguration deploys cleanly here, and the function then runs with Lambda's value
anyway (the runtime sets the reserved ones last). With this patch both calls are refused, as on
AWS, with InvalidParameterValueException (HTTP 400) and nothing stored.

Undocumented: assumed the message AWS answers, as quoted from AWS responses in public issue
threads (e.g. https://github.com/aws/aws-cdk/pull/28048): "Lambda was unable to configure your
environment variables because the environment variables you have provided contains reserved
keys that are currently not supported for modification. Reserved keys used in this request:
AWS_REGION" (the keys in the order given, comma-separated).
"""

from __future__ import annotations

import functools
from typing import Any

from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import LambdaBackend, LambdaFunction

RESERVED = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)
MESSAGE = (
    "Lambda was unable to configure your environment variables because the environment variables "
    "you have provided contains reserved keys that are currently not supported for modification. "
    "Reserved keys used in this request: {}"
)


def refuse_reserved(configuration: dict[str, Any]) -> None:
    """InvalidParameterValueException if the request's ``Environment.Variables`` set a reserved key."""
    variables = (configuration.get("Environment") or {}).get("Variables") or {}
    reserved = [key for key in variables if key in RESERVED]
    if reserved:
        raise InvalidParameterValueException(MESSAGE.format(", ".join(reserved)))


def apply() -> None:
    original_create = LambdaBackend.create_function
    original_update = LambdaBackend.update_function_configuration

    @functools.wraps(original_create)
    def create_function(self: LambdaBackend, spec: dict[str, Any]) -> LambdaFunction:
        refuse_reserved(spec)
        return original_create(self, spec)

    @functools.wraps(original_update)
    def update_function_configuration(
        self: LambdaBackend, function_name: str, qualifier: str, body: dict[str, Any]
    ) -> dict[str, Any] | None:
        refuse_reserved(body)
        return original_update(self, function_name, qualifier, body)

    LambdaBackend.create_function = create_function
    LambdaBackend.update_function_configuration = update_function_configuration
