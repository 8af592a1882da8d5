"""Gap: moto's Lambda ignores ``DeadLetterConfig``.

moto 5.2.5 drops ``DeadLetterConfig`` from CreateFunction/UpdateFunctionConfiguration and
never returns it from GetFunction, so an ``aws_lambda_function`` with a
``dead_letter_config { target_arn }`` block plans an in-place update on every run
(perpetual diff). This patch stores it and returns it as AWS does: only when a target is
set; an empty ``TargetArn`` in an update removes it.
"""

from __future__ import annotations

import functools
from typing import Any

from moto.awslambda.models import LambdaFunction


def apply() -> None:
    original_init = LambdaFunction.__init__
    original_get = LambdaFunction.get_configuration
    original_update = LambdaFunction.update_configuration

    @functools.wraps(original_init)
    def __init__(
        self: LambdaFunction, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any
    ) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self.dead_letter_target = (spec.get("DeadLetterConfig") or {}).get("TargetArn") or None

    @functools.wraps(original_get)
    def get_configuration(self: LambdaFunction, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = original_get(self, *args, **kwargs)
        target = getattr(self, "dead_letter_target", None)
        if target:
            config["DeadLetterConfig"] = {"TargetArn": target}
        return config

    @functools.wraps(original_update)
    def update_configuration(self: LambdaFunction, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "DeadLetterConfig" in config_updates:
            self.dead_letter_target = (config_updates["DeadLetterConfig"] or {}).get("TargetArn") or None
        return original_update(self, config_updates)

    LambdaFunction.__init__ = __init__
    LambdaFunction.get_configuration = get_configuration
    LambdaFunction.update_configuration = update_configuration
