"""Tests for the emulator's Lambda runtime (local_aws/dataplane/lambda_runtime.py).

Starts the patched moto server in-process on a free port, deploys functions to it with boto3
as Terraform would, and runs them with ``LambdaRuntime``, whose workers call back into the
server with the credentials of the function's role:

    .venv/bin/python -m pytest tests/harness/test_lambda_runtime.py -p no:cacheprovider -q
"""

from __future__ import annotations

import io
import json
import os
import re
import textwrap
import threading
import time
import urllib.request
import uuid
import zipfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cli.handler_loader import package_zip, proxy_event
from local_aws.dataplane.lambda_runtime import (
    MAX_WORKERS_PER_FUNCTION,
    FunctionNotFound,
    FunctionThrottled,
    Invocation,
    LambdaRuntime,
)
from local_aws.dataplane.lambda_worker import marshal
from tests.harness.conftest import boto, wait_for

ACCOUNT = "123456789012"  # moto's default account
EAST, WEST = "us-east-1", "us-west-2"
ROLE_NAME = "fn-exec"


@pytest.fixture(autouse=True)
def reset(endpoint: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))


@pytest.fixture
def client(endpoint: str) -> Callable[..., Any]:
    def make(service: str, region: str = EAST) -> Any:
        return boto(service, region, endpoint)

    return make


@pytest.fixture
def runtime(endpoint: str, tmp_path: Path) -> Iterator[LambdaRuntime]:
    lambda_runtime = LambdaRuntime(endpoint_url=endpoint, work_dir=tmp_path / "lambda")
    yield lambda_runtime
    lambda_runtime.close()
    assert _workers() == set(), "close() left worker processes running"


@pytest.fixture
def role(client: Callable[..., Any]) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam = client("iam")
    arn = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    # What the functions here call: the emulator checks a function's calls against its role
    # (patches/iam_function_credentials.py).
    grants = [
        {
            "Effect": "Allow",
            "Action": ["dynamodb:PutItem", "dynamodb:DescribeTable"],
            "Resource": f"arn:aws:dynamodb:*:{ACCOUNT}:table/*",
        },
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::receipts/*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::payments-receipts"},
    ]
    iam.put_role_policy(
        RoleName=ROLE_NAME,
        PolicyName="function",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": grants}),
    )
    return arn


@pytest.fixture
def deploy(client: Callable[..., Any], role: str) -> Callable[..., str]:
    """Create a function from ``{file name: source}`` (dedented); return its ARN."""

    def create(name: str, files: dict[str, str] | bytes, region: str = EAST, **settings: Any) -> str:
        spec: dict[str, Any] = {
            "FunctionName": name,
            "Runtime": "python3.12",
            "Role": role,
            "Handler": "app.handler",
            "Code": {"ZipFile": files if isinstance(files, bytes) else _zip(files)},
            "Timeout": 3,
            **settings,
        }
        return client("lambda", region).create_function(**spec)["FunctionArn"]

    return create


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, source in files.items():
            archive.writestr(name, textwrap.dedent(source))
    return buffer.getvalue()


def _invoke(
    runtime: LambdaRuntime, function: str, event: dict[str, Any] | None = None, **kw: Any
) -> Invocation:
    request_id = kw.pop("request_id", str(uuid.uuid4()))
    return runtime.invoke(
        account_id=ACCOUNT,
        region=kw.pop("region", EAST),
        function=function,
        event=event or {},
        request_id=request_id,
    )


def _workers() -> set[int]:
    """Live (not zombie) Lambda workers started by this test process (other children, such as
    the jsii runtime a test that builds the stack's policies starts, are not workers)."""
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == os.getpid() and fields[0] != "Z" and b"lambda_worker" in command:
            pids.add(int(stat.parent.name))
    return pids


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


PID_HANDLER = """
    import os

    CALLS = 0
    print("init ran")

    def handler(event, context):
        global CALLS
        CALLS += 1
        return {"pid": os.getpid(), "calls": CALLS, "version": "%s"}
"""


# --------------------------------------------------------------------------- results


def test_returns_the_handler_value_and_its_prints(runtime, deploy):
    deploy(
        "adder",
        {
            "app.py": """
                import json, logging

                def handler(event, context):
                    print(json.dumps({"type": "result", "request_id": "forged", "status": "ok"}))
                    logging.getLogger().warning("careful")
                    return {"sum": event["a"] + event["b"], "items": [1, "two", None]}
            """
        },
    )
    result = _invoke(runtime, "adder", {"a": 2, "b": 3}, request_id="req-1")

    assert result.status == "ok"
    assert result.payload == {"sum": 5, "items": [1, "two", None]}
    assert result.duration_ms > 0
    # the handler's stdout is its log, not the protocol, and logging has Lambda's text format
    assert '"request_id": "forged"' in result.logs
    assert re.search(
        r"^\[WARNING\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\treq-1\tcareful$", result.logs, re.M
    )


def test_result_is_serialised_as_lambda_does():
    """Decimals keep their digits (Lambda's runtime writes them raw); bytes pass through."""
    assert marshal({"amount": Decimal("10.50"), "n": Decimal("3")}) == ('{"amount": 10.50, "n": 3}', "json")
    assert marshal("text") == ('"text"', "json")
    assert marshal(b"\x00raw")[1] == "base64"


def test_a_result_json_cannot_hold_is_a_marshal_error(runtime, deploy):
    deploy("sets", {"app.py": "def handler(event, context):\n    return {'tags': {1, 2}}\n"})
    result = _invoke(runtime, "sets", request_id="req-m")

    assert result.status == "error"
    assert result.payload == {
        "errorMessage": "Unable to marshal response: Object of type set is not JSON serializable",
        "errorType": "Runtime.MarshalError",
        "requestId": "req-m",
        "stackTrace": [],
    }


def test_environment_and_context_are_lambdas(runtime, deploy, endpoint, monkeypatch):
    monkeypatch.setenv("LOCAL_AWS_HOST_ONLY", "leak")
    monkeypatch.setenv("AWS_EMULATOR_HOST_ONLY", "leak")
    arn = deploy(
        "envy",
        {
            "app.py": """
                import importlib.util, os, sys

                NAMES = ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME",
                         "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "_HANDLER",
                         "LAMBDA_TASK_ROOT", "AWS_EXECUTION_ENV", "AWS_ENDPOINT_URL", "GREETING",
                         "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN", "AWS_REQUEST_CHECKSUM_CALCULATION",
                         "AWS_RESPONSE_CHECKSUM_VALIDATION", "AWS_EC2_METADATA_DISABLED",
                         "LOCAL_AWS_HOST_ONLY", "AWS_EMULATOR_HOST_ONLY")

                def handler(event, context):
                    return {
                        "env": {name: os.environ.get(name) for name in NAMES},
                        "cwd": os.getcwd(),
                        "first_on_path": sys.path[0],
                        "sees_working_tree": importlib.util.find_spec("lib") is not None,
                        "context": {
                            "aws_request_id": context.aws_request_id,
                            "function_name": context.function_name,
                            "function_version": context.function_version,
                            "invoked_function_arn": context.invoked_function_arn,
                            "memory_limit_in_mb": context.memory_limit_in_mb,
                            "log_group_name": context.log_group_name,
                            "log_stream_name": context.log_stream_name,
                            "remaining": context.get_remaining_time_in_millis(),
                        },
                    }
            """
        },
        region=WEST,
        MemorySize=256,
        Timeout=7,
        Environment={"Variables": {"GREETING": "hello"}},
    )
    result = _invoke(runtime, "envy", region=WEST, request_id="req-env")

    assert result.status == "ok", result.payload
    env, context = result.payload["env"], result.payload["context"]
    task_root = env["LAMBDA_TASK_ROOT"]
    assert env == {
        "AWS_REGION": WEST,
        "AWS_DEFAULT_REGION": WEST,
        "AWS_LAMBDA_FUNCTION_NAME": "envy",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "_HANDLER": "app.handler",
        "LAMBDA_TASK_ROOT": task_root,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_ENDPOINT_URL": endpoint,
        "GREETING": "hello",
        "AWS_ACCESS_KEY_ID": env["AWS_ACCESS_KEY_ID"],
        "AWS_SESSION_TOKEN": env["AWS_SESSION_TOKEN"],
        "AWS_REQUEST_CHECKSUM_CALCULATION": "when_required",
        "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required",
        "AWS_EC2_METADATA_DISABLED": "true",
        "LOCAL_AWS_HOST_ONLY": None,  # nothing of the emulator's own environment
        "AWS_EMULATOR_HOST_ONLY": None,
    }
    assert env["AWS_ACCESS_KEY_ID"].startswith("ASIA") and env["AWS_SESSION_TOKEN"]
    # the deployed package is the task root: working directory and first on the import path,
    # and the repository's working tree is not importable
    assert result.payload["cwd"] == task_root == result.payload["first_on_path"]
    assert (Path(task_root) / "app.py").is_file()
    assert result.payload["sees_working_tree"] is False
    assert context["aws_request_id"] == "req-env"
    assert context["function_name"] == "envy"
    assert context["function_version"] == "$LATEST"
    assert context["invoked_function_arn"] == arn
    assert context["memory_limit_in_mb"] == "256"
    assert context["log_group_name"] == "/aws/lambda/envy"
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", context["log_stream_name"])
    assert 5000 < context["remaining"] <= 7000


def test_aws_calls_reach_the_emulator_as_the_execution_role(runtime, deploy, client):
    client("dynamodb").create_table(
        TableName="things",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    )
    client("s3").create_bucket(Bucket="receipts")
    deploy(
        "writer",
        {
            "app.py": """
                import boto3

                def handler(event, context):
                    boto3.client("dynamodb").put_item(
                        TableName="things", Item={"pk": {"S": context.aws_request_id}})
                    boto3.client("s3").put_object(Bucket="receipts", Key="r.txt", Body=b"paid")
                    identity = boto3.client("sts").get_caller_identity()
                    key = boto3.session.Session().get_credentials().access_key
                    return {"arn": identity["Arn"], "access_key": key}
            """
        },
    )
    result = _invoke(runtime, "writer", request_id="req-w")

    assert result.status == "ok", result.payload
    item = client("dynamodb").get_item(TableName="things", Key={"pk": {"S": "req-w"}})
    assert item["Item"] == {"pk": {"S": "req-w"}}
    assert client("s3").get_object(Bucket="receipts", Key="r.txt")["Body"].read() == b"paid"
    assert result.payload["access_key"] != "test"
    assert result.payload["access_key"].startswith("ASIA")
    assert result.payload["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE_NAME}/writer"


# --------------------------------------------------------------------------- failures


def test_a_raised_exception_is_an_unhandled_error(runtime, deploy):
    deploy(
        "raiser",
        {
            "app.py": """
                def check(amount):
                    raise ValueError(f"bad amount {amount}")

                def handler(event, context):
                    check(event["amount"])
            """
        },
    )
    result = _invoke(runtime, "raiser", {"amount": -1}, request_id="req-x")

    assert result.status == "error"
    assert result.payload["errorType"] == "ValueError"
    assert result.payload["errorMessage"] == "bad amount -1"
    assert result.payload["requestId"] == "req-x"
    trace = result.payload["stackTrace"]
    assert len(trace) == 2  # handler -> check: the runtime's own frames are left out
    assert 'app.py", line 6, in handler' in trace[0]
    assert 'app.py", line 3, in check' in trace[1]
    assert "[ERROR] ValueError: bad amount -1" in result.logs
    # the environment survives a function error, as on Lambda
    assert _invoke(runtime, "raiser", {"amount": 1}).payload["errorMessage"] == "bad amount 1"


@pytest.mark.parametrize(
    "case",
    [
        (b"this is not a zip file", "app.handler", "Runtime.ImportModuleError", "No module named 'app'"),
        ({"app.py": "x = 1\n"}, "nope.handler", "Runtime.ImportModuleError", "No module named 'nope'"),
        ({"app.py": "import not_packaged\n"}, "app.handler", "Runtime.ImportModuleError", "not_packaged"),
        ({"app.py": "x = 1\n"}, "app.handler", "Runtime.HandlerNotFound", "Handler 'handler' missing"),
        ({"app.py": "def handler(:\n"}, "app.handler", "Runtime.UserCodeSyntaxError", "Syntax error"),
        ({"app.py": "x = 1\n"}, "nodots", "Runtime.MalformedHandlerName", "Bad handler 'nodots'"),
    ],
)
def test_a_handler_that_cannot_be_loaded_is_lambdas_init_error(runtime, deploy, case):
    files, handler, error_type, message = case
    deploy("broken", files, Handler=handler)
    result = _invoke(runtime, "broken", request_id="req-b")

    assert result.status == "error"
    assert result.payload["errorType"] == error_type
    assert message in result.payload["errorMessage"]
    assert result.payload["requestId"] == "req-b"
    assert _workers() == set()  # a failed Init leaves no environment behind


def test_a_timeout_kills_the_environment_and_what_it_started(runtime, deploy, tmp_path):
    pid_file = tmp_path / "pids"
    deploy(
        "sleeper",
        {
            "app.py": """
                import os, subprocess, time

                def handler(event, context):
                    child = subprocess.Popen(["sleep", "30"])
                    with open(os.environ["PID_FILE"], "w") as out:
                        out.write(f"{os.getpid()} {child.pid}")
                    time.sleep(event["sleep"])
                    return "woke"
            """
        },
        Timeout=1,
        Environment={"Variables": {"PID_FILE": str(pid_file)}},
    )
    started = time.monotonic()
    result = _invoke(runtime, "sleeper", {"sleep": 3}, request_id="req-t")
    elapsed = time.monotonic() - started

    assert result.status == "timeout"
    assert elapsed < 2.9
    assert 1000 <= result.duration_ms < 2500
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z req-t Task timed out after 1\.\d\d seconds",
        result.payload["errorMessage"],
    )
    worker_pid, child_pid = map(int, pid_file.read_text().split())
    deadline = time.monotonic() + 2
    while not (_gone(worker_pid) and _gone(child_pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(worker_pid) and _gone(child_pid)
    assert _workers() == set()
    # the next invocation gets a fresh environment
    again = _invoke(runtime, "sleeper", {"sleep": 0})
    assert again.status == "ok" and again.payload == "woke"
    assert int(pid_file.read_text().split()[0]) != worker_pid


def test_a_worker_that_exits_is_a_runtime_exit_error(runtime, deploy):
    deploy(
        "quitter",
        {
            "app.py": """
                import os

                def handler(event, context):
                    if event.get("quit"):
                        os._exit(3)
                    return os.getpid()
            """
        },
    )
    result = _invoke(runtime, "quitter", {"quit": True}, request_id="req-q")

    assert result.status == "crashed"
    assert result.payload == {
        "errorType": "Runtime.ExitError",
        "errorMessage": "RequestId: req-q Error: Runtime exited with error: exit status 3",
    }
    assert _invoke(runtime, "quitter").status == "ok"


def test_unknown_functions_and_runtimes_are_refused(runtime, deploy):
    arn = deploy("here", {"app.py": "def handler(e, c):\n    return 1\n"})
    with pytest.raises(FunctionNotFound):
        _invoke(runtime, "nowhere")
    with pytest.raises(FunctionNotFound):  # the same name, another region
        _invoke(runtime, "here", region=WEST)
    with pytest.raises(FunctionNotFound):  # an ARN of another region than the one asked
        _invoke(runtime, arn.replace(EAST, WEST))

    deploy(
        "js",
        {"index.js": "exports.handler = async () => 1;\n"},
        Runtime="nodejs20.x",
        Handler="index.handler",
    )
    result = _invoke(runtime, "js")
    assert result.status == "error"
    assert result.payload["errorType"] == "Runtime.Unsupported"
    assert "nodejs20.x" in result.payload["errorMessage"]
    assert _workers() == set()


# --------------------------------------------------------------------------- environments


def test_a_warm_environment_is_reused(runtime, deploy):
    deploy("warm", {"app.py": PID_HANDLER % "v1"})
    first = _invoke(runtime, "warm")
    second = _invoke(runtime, "warm")

    assert first.payload["pid"] == second.payload["pid"]
    assert (first.payload["calls"], second.payload["calls"]) == (1, 2)
    assert "init ran" in first.logs  # the Init phase's output comes with the cold start only
    assert "init ran" not in second.logs
    assert _workers() == {first.payload["pid"]}


def test_new_code_or_configuration_gets_a_new_environment(runtime, deploy, client):
    deploy("changing", {"app.py": PID_HANDLER % "v1"})
    v1 = _invoke(runtime, "changing")
    assert v1.payload["version"] == "v1"

    client("lambda").update_function_code(
        FunctionName="changing", ZipFile=_zip({"app.py": PID_HANDLER % "v2"})
    )
    v2 = _invoke(runtime, "changing")
    assert v2.payload["version"] == "v2"
    assert v2.payload["pid"] != v1.payload["pid"]
    assert v2.payload["calls"] == 1

    client("lambda").update_function_configuration(FunctionName="changing", MemorySize=512)
    v3 = _invoke(runtime, "changing")
    assert v3.payload["pid"] not in (v1.payload["pid"], v2.payload["pid"])
    assert _workers() == {v3.payload["pid"]}  # the old environments are stopped


def test_concurrent_invocations_get_their_own_environments_up_to_the_cap(runtime, deploy):
    """One invocation at a time per environment; at most MAX_WORKERS_PER_FUNCTION of them, the
    invocations beyond that wait for one to be free."""
    deploy(
        "busy",
        {
            "app.py": """
                import os, time

                def handler(event, context):
                    time.sleep(0.4)
                    return os.getpid()
            """
        },
    )
    results: list[Invocation] = []
    threads = [threading.Thread(target=lambda: results.append(_invoke(runtime, "busy"))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [r.status for r in results] == ["ok"] * 6
    pids = [r.payload for r in results]
    assert 2 <= len(set(pids)) <= MAX_WORKERS_PER_FUNCTION
    assert len(set(pids)) < len(pids)  # the ones beyond the cap ran in a warm environment
    assert _workers() == set(pids)


def test_close_stops_every_worker(runtime, deploy):
    deploy("one", {"app.py": PID_HANDLER % "1"})
    deploy("two", {"app.py": PID_HANDLER % "2"})
    pids = {_invoke(runtime, name).payload["pid"] for name in ("one", "two")}
    assert _workers() == pids

    runtime.close()

    assert _workers() == set()
    with pytest.raises(RuntimeError):
        _invoke(runtime, "one")


# --------------------------------------------------------------------------- the project's handler


def test_the_project_handler_answers_health(runtime, deploy, client):
    client("dynamodb").create_table(
        TableName="payments",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "payment_id", "AttributeType": "S"}],
    )
    client("s3").create_bucket(Bucket="payments-receipts")
    deploy(
        "payments-api",
        package_zip(),  # the package as the stack ships it: handler.py, its siblings, contract.json
        Handler="handler.handler",
        Timeout=10,  # the handler wants its whole retry budget (5.5 s) left before an AWS call
        Environment={
            "Variables": {
                "TABLE_NAME": "payments",
                "BUCKET_NAME": "payments-receipts",
                "REGION_ROLE": "primary",
            }
        },
    )
    result = _invoke(runtime, "payments-api", proxy_event("GET", "/health", request_id="req-h"))

    assert result.status == "ok", result.payload
    assert result.payload["statusCode"] == 200, result.logs
    assert json.loads(result.payload["body"]) == {"status": "ok", "region": EAST, "role": "primary"}
    access = [json.loads(line) for line in result.logs.splitlines() if '"access"' in line]
    assert [(a["route"], a["status"]) for a in access] == [("/health", 200)]


# --------------------------------------------------------------------------- concurrency


def test_reserved_concurrency_throttles_the_invocation_beyond_it(runtime, deploy, client):
    """ "Reserving concurrency ... prevents it from scaling beyond that level"
    (API_PutFunctionConcurrency): with 1 reserved and one invocation running, the next one is
    refused (Lambda's TooManyRequestsException), not queued; 0 reserved refuses every one."""
    deploy(
        "slow",
        {
            "app.py": """
                import time

                def handler(event, context):
                    time.sleep(event.get("sleep", 0))
                    return {"ok": True}
            """
        },
    )
    lam = client("lambda")
    lam.put_function_concurrency(FunctionName="slow", ReservedConcurrentExecutions=1)
    assert _invoke(runtime, "slow").status == "ok"  # warm, and nothing else running
    first = threading.Thread(target=_invoke, args=(runtime, "slow", {"sleep": 2}))
    first.start()
    try:
        wait_for("the first one running", lambda: runtime.running(_arn(lam, "slow")) == 1)
        with pytest.raises(FunctionThrottled):
            _invoke(runtime, "slow")
    finally:
        first.join()
    assert _invoke(runtime, "slow").status == "ok"  # the slot is free again

    lam.put_function_concurrency(FunctionName="slow", ReservedConcurrentExecutions=0)
    with pytest.raises(FunctionThrottled):
        _invoke(runtime, "slow")


def _arn(lam: Any, name: str) -> str:
    return lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
