"""Shared by the Lambda patches: make moto keep a function setting it drops.

moto 5.2.5's ``LambdaFunction`` ignores some CreateFunction/UpdateFunctionConfiguration
fields and never returns them from GetFunction, which gives Terraform a perpetual diff.
``keep_setting`` wraps the three methods once per field: the value is stored at create,
recomputed on every update that names the field, and shown by GetFunction.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from moto.awslambda.models import LambdaFunction


def keep_setting(
    key: str,
    *,
    store: Callable[[LambdaFunction, Any, Any], Any],
    show: Callable[[LambdaFunction, Any], Any],
) -> None:
    """``store(function, current, requested)`` is what to keep (``current`` is None at create);
    ``show(function, kept)`` is what GetFunction returns under ``key`` (None: omitted)."""
    attribute = f"_kept_{key}"
    original_init = LambdaFunction.__init__
    original_get = LambdaFunction.get_configuration
    original_update = LambdaFunction.update_configuration

    @functools.wraps(original_init)
    def __init__(
        self: LambdaFunction, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any
    ) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        setattr(self, attribute, store(self, None, spec.get(key)))

    @functools.wraps(original_get)
    def get_configuration(self: LambdaFunction, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = original_get(self, *args, **kwargs)
        shown = show(self, getattr(self, attribute, None))
        if shown is not None:
            config[key] = shown
        return config

    @functools.wraps(original_update)
    def update_configuration(self: LambdaFunction, config_updates: dict[str, Any]) -> dict[str, Any]:
        if key in config_updates:
            setattr(self, attribute, store(self, getattr(self, attribute, None), config_updates[key]))
        return original_update(self, config_updates)

    LambdaFunction.__init__ = __init__
    LambdaFunction.get_configuration = get_configuration
    LambdaFunction.update_configuration = update_configuration
