"""Gap: moto's Lambda ignores ``LoggingConfig``.

moto 5.2.5 drops ``LoggingConfig`` from CreateFunction/UpdateFunctionConfiguration
and never returns it from GetFunction, so an ``aws_lambda_function`` with a
``logging_config { log_format, log_group }`` block plans an in-place update on
every run (perpetual diff).  This patch stores it and returns it with AWS's
defaults: ``LogFormat: Text`` and ``LogGroup: /aws/lambda/<function name>``,
plus ``ApplicationLogLevel``/``SystemLogLevel`` ``INFO`` for the JSON format.

AWS: ``LoggingConfig`` and its defaults (Text, ``/aws/lambda/<function name>``, INFO levels for
JSON): https://docs.aws.amazon.com/lambda/latest/api/API_LoggingConfig.html and
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html
"""

from __future__ import annotations

from typing import Any

from moto.awslambda.models import LambdaFunction

from ._function_settings import keep_setting


def logging_config(function_name: str, requested: dict[str, Any] | None) -> dict[str, Any]:
    config = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{function_name}"}
    config.update({k: v for k, v in (requested or {}).items() if v})
    if config["LogFormat"] == "JSON":
        config.setdefault("ApplicationLogLevel", "INFO")
        config.setdefault("SystemLogLevel", "INFO")
    else:  # log levels only apply to the JSON format
        config.pop("ApplicationLogLevel", None)
        config.pop("SystemLogLevel", None)
    return config


def _store(function: LambdaFunction, current: dict[str, Any] | None, requested: Any) -> dict[str, Any]:
    return logging_config(function.function_name, {**(current or {}), **(requested or {})})


def apply() -> None:
    keep_setting(
        "LoggingConfig",
        store=_store,
        show=lambda function, kept: kept or logging_config(function.function_name, None),
    )
