"""Gap: moto's Lambda ignores ``LoggingConfig``.

moto 5.2.5 drops ``LoggingConfig`` from CreateFunction/UpdateFunctionConfiguration
and never returns it from GetFunction, so an ``aws_lambda_function`` with a
``logging_config { log_format, log_group }`` block plans an in-place update on
every run (perpetual diff).  This patch stores it and returns it with AWS's
defaults: ``LogFormat: Text`` and ``LogGroup: /aws/lambda/<function name>``,
plus ``ApplicationLogLevel``/``SystemLogLevel`` ``INFO`` for the JSON format.
"""

from __future__ import annotations

import functools
from typing import Any

from moto.awslambda.models import LambdaFunction


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


def apply() -> None:
    original_init = LambdaFunction.__init__
    original_get = LambdaFunction.get_configuration
    original_update = LambdaFunction.update_configuration

    @functools.wraps(original_init)
    def __init__(
        self: LambdaFunction, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any
    ) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self.logging_config = logging_config(self.function_name, spec.get("LoggingConfig"))

    @functools.wraps(original_get)
    def get_configuration(self: LambdaFunction, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = original_get(self, *args, **kwargs)
        config["LoggingConfig"] = getattr(self, "logging_config", None) or logging_config(
            self.function_name, None
        )
        return config

    @functools.wraps(original_update)
    def update_configuration(self: LambdaFunction, config_updates: dict[str, Any]) -> dict[str, Any]:
        if config_updates.get("LoggingConfig"):
            current = getattr(self, "logging_config", None) or {}
            self.logging_config = logging_config(
                self.function_name, {**current, **config_updates["LoggingConfig"]}
            )
        return original_update(self, config_updates)

    LambdaFunction.__init__ = __init__
    LambdaFunction.get_configuration = get_configuration
    LambdaFunction.update_configuration = update_configuration
