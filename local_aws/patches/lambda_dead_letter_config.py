"""Gap: moto's Lambda ignores ``DeadLetterConfig``.

moto 5.2.5 drops ``DeadLetterConfig`` from CreateFunction/UpdateFunctionConfiguration and
never returns it from GetFunction, so an ``aws_lambda_function`` with a
``dead_letter_config { target_arn }`` block plans an in-place update on every run
(perpetual diff). This patch stores it and returns it as AWS does: only when a target is
set; an empty ``TargetArn`` in an update removes it.

AWS: ``DeadLetterConfig`` (``TargetArn``) is stored with the function and returned by
GetFunctionConfiguration:
https://docs.aws.amazon.com/lambda/latest/api/API_DeadLetterConfig.html and
https://docs.aws.amazon.com/lambda/latest/api/API_FunctionConfiguration.html
"""

from __future__ import annotations

from typing import Any

from moto.awslambda.models import LambdaFunction

from ._function_settings import keep_setting


def _target(_function: LambdaFunction, _current: Any, requested: dict[str, Any] | None) -> str | None:
    return (requested or {}).get("TargetArn") or None


def apply() -> None:
    keep_setting(
        "DeadLetterConfig",
        store=_target,
        show=lambda _function, target: {"TargetArn": target} if target else None,
    )
