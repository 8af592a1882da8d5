"""Stricter: the account's Lambda concurrency, as AWS accounts it.

AWS: "You can reserve concurrency for as many functions as you like, as long as you leave at
least 100 simultaneous executions unreserved for functions that aren't configured with a
per-function limit" (https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionConcurrency.html),
and ``GetAccountSettings`` reports ``AccountLimit.ConcurrentExecutions`` and
``UnreservedConcurrentExecutions`` ("minus the capacity that's reserved for individual
functions", https://docs.aws.amazon.com/lambda/latest/api/API_AccountLimit.html). New accounts
start far lower than the usual 1,000.

moto 5.2.5 enforces the 100 floor only when ``MOTO_LAMBDA_CONCURRENCY_QUOTA`` is set (off by
default, so any reservation succeeds) and has no ``GetAccountSettings`` at all (404). Without
this patch a stack whose reservation no new account could hold deploys cleanly here.

This patch always enforces the floor against the account limit ``EMULATOR_LAMBDA_CONCURRENCY_LIMIT``
(default 1000, AWS's default quota; set 10 to play a new account), per region, counting every
other function's reservation, with AWS's error; and answers ``GetAccountSettings`` from the
same numbers.
"""

from __future__ import annotations

import functools
import json
import os
from typing import Any

from moto.awslambda import urls
from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import LambdaBackend
from moto.awslambda.responses import LambdaResponse

DEFAULT_LIMIT = 1000
UNRESERVED_MINIMUM = 100
ACCOUNT_SETTINGS_PATH = r"{0}/(?P<api_version>[^/]+)/account-settings/?$"
# AWS's documented defaults for the storage figures GetAccountSettings also reports.
CODE_STORAGE_BYTES = 75 * 1024**3
CODE_SIZE_UNZIPPED = 250 * 1024**2
CODE_SIZE_ZIPPED = 50 * 1024**2


def account_limit() -> int:
    return int(os.environ.get("EMULATOR_LAMBDA_CONCURRENCY_LIMIT", str(DEFAULT_LIMIT)))


def reserved(backend: LambdaBackend, *, except_function: str | None = None) -> int:
    return sum(
        int(fn.reserved_concurrency)
        for fn in backend.list_functions()
        if fn.reserved_concurrency and fn.function_name != except_function
    )


def account_settings(backend: LambdaBackend) -> dict[str, Any]:
    functions = backend.list_functions()
    limit = account_limit()
    return {
        "AccountLimit": {
            "TotalCodeSize": CODE_STORAGE_BYTES,
            "CodeSizeUnzipped": CODE_SIZE_UNZIPPED,
            "CodeSizeZipped": CODE_SIZE_ZIPPED,
            "ConcurrentExecutions": limit,
            "UnreservedConcurrentExecutions": limit - reserved(backend),
        },
        "AccountUsage": {
            "TotalCodeSize": sum(int(getattr(fn, "code_size", 0) or 0) for fn in functions),
            "FunctionCount": len(functions),
        },
    }


def get_account_settings(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    response = LambdaResponse()
    response.setup_class(request, full_url, headers)
    return 200, {"Content-Type": "application/json"}, json.dumps(account_settings(response.backend))


def apply() -> None:
    urls.url_paths[ACCOUNT_SETTINGS_PATH] = get_account_settings
    original = LambdaBackend.put_function_concurrency

    @functools.wraps(original)
    def put_function_concurrency(self: LambdaBackend, function_name: str, reserved_concurrency: str) -> str:
        name = self.get_function(function_name).function_name
        left = account_limit() - reserved(self, except_function=name) - int(reserved_concurrency)
        if left < UNRESERVED_MINIMUM:
            raise InvalidParameterValueException(
                "Specified ReservedConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of [{UNRESERVED_MINIMUM}]."
            )
        return original(self, function_name, reserved_concurrency)

    LambdaBackend.put_function_concurrency = put_function_concurrency
