"""What a Lambda execution environment is started from: the function's configuration, its code
unpacked as the task root, and its environment with the execution role's credentials.

- Code: the *deployed* package (moto's ``code_bytes``), unpacked once per code hash under
  ``work_dir/<sha256 hex>/``, the task root (``/var/task`` on AWS): first on ``sys.path`` and the
  working directory of the handler. https://docs.aws.amazon.com/lambda/latest/dg/python-package.html
- Environment variables: the function's own, then the reserved ones Lambda sets
  (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime;
  a configuration that sets a reserved one is refused: patches/lambda_reserved_variables.py),
  with credentials from the function's execution role assumed in the emulator's STS
  (https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html), and
  ``AWS_ENDPOINT_URL`` so that the function's SDK calls come back to the emulator. Nothing of
  the emulator process's own environment is passed on but ``PATH``.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import threading
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class FunctionConfig:
    """Everything an execution environment is started from: equal configs share warm workers."""

    account_id: str
    region: str
    function_name: str
    version: str
    function_arn: str
    code_digest: str
    package_type: str
    handler: str
    runtime: str
    timeout: int
    memory_size: int
    environment: tuple[tuple[str, str], ...]
    role: str
    log_group: str

    @property
    def identity(self) -> tuple[str, str, str, str]:
        return (self.account_id, self.region, self.function_name, self.version)


def config_of(function: Any) -> FunctionConfig:
    """The configuration of moto's LambdaFunction ``function``."""
    logging_config = getattr(function, "_kept_LoggingConfig", None) or {}
    return FunctionConfig(
        account_id=function.account_id,
        region=function.region,
        function_name=function.function_name,
        version=str(function.version),
        function_arn=function.function_arn,
        code_digest=getattr(function, "code_digest", "") or "",
        package_type=function.package_type or "Zip",
        handler=function.handler or "",
        runtime=function.run_time or "",
        timeout=int(function.timeout or 3),
        memory_size=int(function.memory_size or 128),
        environment=tuple(sorted((str(k), str(v)) for k, v in (function.environment_vars or {}).items())),
        role=function.role,
        log_group=logging_config.get("LogGroup") or f"/aws/lambda/{function.function_name}",
    )


class TaskRoots:
    """The unpacked deployment packages under ``work_dir``, one per code hash."""

    def __init__(self, work_dir: Path) -> None:
        self._work_dir = Path(work_dir)
        self._unpack_lock = threading.Lock()

    def get(self, digest: str, code: bytes) -> Path:
        """The unpacked package, once per code hash: unpacked into a temporary directory, then
        renamed into place, so that no worker ever sees half a tree."""
        if not digest or not code:
            raise zipfile.BadZipFile("the function has no code")
        final = self._work_dir / digest
        if final.is_dir():
            return final
        with self._unpack_lock:
            if final.is_dir():
                return final
            self._work_dir.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{digest}.", dir=self._work_dir))
            try:
                with zipfile.ZipFile(io.BytesIO(code)) as archive:
                    archive.extractall(staging)  # drops ".." and absolute member paths
                try:
                    staging.rename(final)
                except OSError:
                    if not final.is_dir():  # not another process's rename winning the race
                        raise
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        return final


def environment_for(config: FunctionConfig, task_root: Path, endpoint_url: str) -> dict[str, str]:
    """The function's variables, then the ones Lambda sets (reserved: they win)."""
    from moto.sts.models import sts_backends  # noqa: PLC0415 - moto loads late
    from moto.utilities.utils import get_partition  # noqa: PLC0415

    # Lambda assumes the execution role with the function's name as the session name.
    credentials = sts_backends[config.account_id][get_partition(config.region)].assume_role(
        region_name=config.region,
        role_session_name=config.function_name,
        role_arn=config.role,
        policy=None,
        duration=43200,
        external_id=None,
    )
    # The emulator checks the role's policy on every request signed with these credentials.
    from local_aws.patches import iam_function_credentials  # noqa: PLC0415

    iam_function_credentials.register(credentials.access_key_id)
    stream = f"{datetime.now(UTC):%Y/%m/%d}/[{config.version}]{uuid.uuid4().hex}"
    environment = {
        "PATH": os.environ.get("PATH", os.defpath),
        "LANG": "en_US.UTF-8",
        # Isolation from the host, not Lambda's: no ~/.aws files, no instance metadata.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    environment.update(dict(config.environment))
    environment.update(
        {
            "_HANDLER": config.handler,
            "AWS_REGION": config.region,
            "AWS_DEFAULT_REGION": config.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{config.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": config.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": config.version,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": config.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_ACCESS_KEY_ID": credentials.access_key_id,
            "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
            "AWS_SESSION_TOKEN": credentials.session_token,
            "LAMBDA_TASK_ROOT": str(task_root),
            "LAMBDA_RUNTIME_DIR": str(REPO_ROOT),
            "TZ": ":UTC",
            # The emulator's, not Lambda's: where the function's SDK calls go, and the
            # checksum settings moto needs.
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_REQUEST_CHECKSUM_CALCULATION": "when_required",
            "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required",
        }
    )
    return environment
