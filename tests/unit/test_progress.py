"""deploy/progress.py: the progress of an apply or destroy, read from Terraform's own output.

Every sample below is Terraform 1.11.4's ``-no-color`` output, copied from real runs: the
emulator deployment's apply and destroy logs (.local-aws/logs/) and ``terraform_data``
configurations applied by hand (a replacement, an import block, a failing provisioner, a
72-second create)."""

from __future__ import annotations

import io

import pytest

from deploy.progress import (
    Event,
    Follower,
    Progress,
    format_duration,
    parse_duration,
    parse_line,
    planned_operations,
)

# The emulator deployment's apply: the plan line, then the operations as Terraform prints them.
APPLY = """\
data.aws_caller_identity.caller: Reading...
data.aws_caller_identity.caller: Read complete after 0s [id=123456789012]
  # aws_acm_certificate_validation.endpoint-primary_certificate-validation_371A74C7 will be created
Plan: 159 to add, 0 to change, 0 to destroy.
aws_iam_role.receipts-replication-secondary_role_C05CC778: Creating...
aws_api_gateway_rest_api.api-secondary_rest-api_245B9F8C: Creating...
aws_api_gateway_rest_api.api-secondary_rest-api_245B9F8C: Creation complete after 0s [id=lscg8okg0e]
aws_kms_key.key-secondary_key_D6154113: Creating...
aws_kms_key.key-secondary_key_D6154113: Still creating... [10s elapsed]
aws_iam_role.receipts-replication-secondary_role_C05CC778: Creation complete after 0s \
[id=tap-receipts-replication-secondary-dev]
aws_kms_key.key-secondary_key_D6154113: Creation complete after 14s [id=e3fdc886-6811-48a5-88bd-30278f920a78]
"""

# terraform_data.slow replaced (triggers_replace), the others changed in place.
REPLACE = """\
terraform_data.slow: Refreshing state... [id=9dbd7f4f-3862-b496-f989-37354f79dc73]
Plan: 1 to add, 4 to change, 1 to destroy.
terraform_data.slow: Destroying... [id=9dbd7f4f-3862-b496-f989-37354f79dc73]
terraform_data.slow: Destruction complete after 0s
terraform_data.slow: Creating...
terraform_data.slow: Provisioning with 'local-exec'...
terraform_data.quick[2]: Modifying... [id=02c68327-160e-dd43-7b1d-38452fc24bd9]
terraform_data.quick[2]: Modifications complete after 0s [id=02c68327-160e-dd43-7b1d-38452fc24bd9]
terraform_data.slow (local-exec): Executing: ["/bin/sh" "-c" "sleep 12"]
terraform_data.slow: Still creating... [10s elapsed]
terraform_data.slow: Creation complete after 12s [id=007cfcb5-ace6-6f27-216f-0e09be577b85]
"""


def _fed(text: str, progress: Progress | None = None, now: float = 0.0) -> tuple[Progress, list[str]]:
    progress = progress or Progress(started=0.0)
    printed = [out for line in text.splitlines() for out in progress.feed(line, now)]
    return progress, printed


@pytest.mark.parametrize(
    ("line", "event"),
    [
        (
            "aws_kms_key.key-secondary_key_D6154113: Creating...",
            Event("start", "aws_kms_key.key-secondary_key_D6154113", "create"),
        ),
        (
            "terraform_data.quick[2]: Modifying... [id=02c68327-160e-dd43-7b1d-38452fc24bd9]",
            Event("start", "terraform_data.quick[2]", "modify"),
        ),
        (
            "aws_s3_bucket_policy.receipts-secondary_tls-only_7A32B41B: Destroying... "
            "[id=tap-receipts-secondary-dev-123456789012]",
            Event("start", "aws_s3_bucket_policy.receipts-secondary_tls-only_7A32B41B", "destroy"),
        ),
        (
            "terraform_data.imported: Importing... [id=abc-123]",
            Event("start", "terraform_data.imported", "import"),
        ),
        (
            "aws_kms_key.key-secondary_key_D6154113: Still creating... [10s elapsed]",
            Event("still", "aws_kms_key.key-secondary_key_D6154113", "create", 10),
        ),
        (
            "terraform_data.long: Still creating... [1m10s elapsed]",
            Event("still", "terraform_data.long", "create", 70),
        ),
        # newer releases: the id, and minutes always printed
        (
            "aws_s3_bucket.b: Still destroying... [id=b, 01m05s elapsed]",
            Event("still", "aws_s3_bucket.b", "destroy", 65),
        ),
        (
            "aws_api_gateway_rest_api.api-secondary_rest-api_245B9F8C: Creation complete after 0s "
            "[id=lscg8okg0e]",
            Event("done", "aws_api_gateway_rest_api.api-secondary_rest-api_245B9F8C", "created", 0),
        ),
        (
            "terraform_data.long: Creation complete after 1m12s [id=af750569-abb1-6fc0-5ec5-ca5cd59b9c3d]",
            Event("done", "terraform_data.long", "created", 72),
        ),
        (
            "terraform_data.slow: Destruction complete after 0s",
            Event("done", "terraform_data.slow", "destroyed", 0),
        ),
        (
            "terraform_data.quick[2]: Modifications complete after 0s "
            "[id=02c68327-160e-dd43-7b1d-38452fc24bd9]",
            Event("done", "terraform_data.quick[2]", "modified", 0),
        ),
        (
            "terraform_data.imported: Import complete [id=abc-123]",
            Event("done", "terraform_data.imported", "imported"),
        ),
        (
            'aws_x.y["a: b"] (deposed object 1a2b3c4d): Destroying... [id=x]',
            Event("start", 'aws_x.y["a: b"] (deposed object 1a2b3c4d)', "destroy"),
        ),
        ("Error: local-exec provisioner error", Event("error", text="local-exec provisioner error")),
        # not an operation: reads, refreshes, provisioner output, the plan's body, the summary
        ("data.aws_caller_identity.caller: Reading...", None),
        ("data.aws_caller_identity.caller: Read complete after 0s [id=123456789012]", None),
        ("terraform_data.slow: Refreshing state... [id=9dbd7f4f-3862-b496-f989-37354f79dc73]", None),
        ("terraform_data.slow: Provisioning with 'local-exec'...", None),
        ('terraform_data.slow (local-exec): Executing: ["/bin/sh" "-c" "sleep 12"]', None),
        ("  # aws_kms_key.k will be created", None),
        ("Apply complete! Resources: 159 added, 0 changed, 0 destroyed.", None),
    ],
)
def test_each_line_terraform_prints_for_an_operation_is_read(line, event):
    assert parse_line(line) == event


@pytest.mark.parametrize(
    ("line", "total"),
    [
        ("Plan: 159 to add, 0 to change, 0 to destroy.", 159),
        ("Plan: 0 to add, 0 to change, 159 to destroy.", 159),
        ("Plan: 1 to add, 4 to change, 1 to destroy.", 6),  # a replacement: two operations
        ("Plan: 1 to import, 5 to add, 0 to change, 0 to destroy.", 6),
        ("Plan: 0 to add, 0 to change, 0 to destroy, 1 to forget.", 0),  # forgetting prints nothing
        ("Apply complete! Resources: 159 added, 0 changed, 0 destroyed.", None),
        ("  Plan: 1 to add", None),
    ],
)
def test_the_plan_line_gives_the_number_of_operations(line, total):
    assert planned_operations(line) == total


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0s", 0),
        ("14s", 14),
        ("1m0s", 60),
        ("1m12s", 72),
        ("01m05s", 65),
        ("1h2m3s", 3723),
        ("", None),
        ("soon", None),
    ],
)
def test_durations_as_terraform_prints_them(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("seconds", "text"), [(3, "3s"), (59.9, "59s"), (130, "2m10s"), (3900, "1h05m")])
def test_durations_as_printed_here(seconds, text):
    assert format_duration(seconds) == text


def test_each_completed_resource_is_one_numbered_line():
    progress, printed = _fed(APPLY)
    assert printed == [
        "  [1/159] aws_api_gateway_rest_api.api-secondary_rest-api_245B9F8C created (0s)",
        "  [2/159] aws_iam_role.receipts-replication-secondary_role_C05CC778 created (0s)",
        "  [3/159] aws_kms_key.key-secondary_key_D6154113 created (14s)",
    ]
    assert progress.in_flight == {}


def test_a_replacement_counts_its_destroy_and_its_create():
    progress, printed = _fed(REPLACE)
    assert printed == [
        "  [1/6] terraform_data.slow destroyed (0s)",
        "  [2/6] terraform_data.quick[2] modified (0s)",
        "  [3/6] terraform_data.slow created (12s)",
    ]
    assert (progress.done, progress.total) == (3, 6)


def test_without_a_plan_line_the_count_has_no_total():
    _, printed = _fed(
        "terraform_data.imported: Importing... [id=abc-123]\n"
        "terraform_data.imported: Import complete [id=abc-123]\n"
    )
    assert printed == ["  [1] terraform_data.imported imported (0s)"]


def test_an_error_is_shown_as_it_arrives_and_its_resource_stays_in_flight():
    text = (
        "Plan: 1 to add, 0 to change, 0 to destroy.\n"
        "terraform_data.broken: Creating...\n"
        "terraform_data.broken (local-exec): failing\n"
        "\n"
        "Error: local-exec provisioner error\n"
        "\n"
        "  with terraform_data.broken,\n"
    )
    progress, printed = _fed(text)
    assert printed == ["  Error: local-exec provisioner error"]
    assert list(progress.in_flight) == ["terraform_data.broken"]


def test_what_is_in_flight_is_reported_at_most_every_30_seconds_longest_first():
    progress, _ = _fed(
        "Plan: 162 to add, 0 to change, 0 to destroy.\n"
        "aws_acm_certificate_validation.v: Creating...\n"
        "aws_s3_bucket.a: Creating...\n"
        "aws_s3_bucket.a: Creation complete after 1s [id=a]\n",
        now=0.0,
    )
    _fed("aws_kms_key.k: Creating...\naws_route53_zone.z: Creating...\n", progress, now=20.0)
    assert progress.waiting(now=29.5) is None  # not yet due
    assert progress.waiting(now=130.0) == (
        "  waiting: 3 in progress (aws_acm_certificate_validation.v 2m10s, aws_kms_key.k 1m50s), "
        "161 of 162 remaining"
    )
    assert progress.waiting(now=140.0) is None  # at most every 30 s
    # Terraform's clock wins when it says an operation began earlier than it was read.
    _fed("aws_route53_zone.z: Still creating... [5m0s elapsed]\n", progress, now=160.0)
    assert progress.waiting(now=160.0).startswith("  waiting: 3 in progress (aws_route53_zone.z 5m00s,")


def test_nothing_in_flight_means_no_waiting_line():
    progress, _ = _fed(APPLY)
    assert progress.waiting(now=3600.0) is None


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_follower_prints_what_the_log_gained_since_its_last_poll(tmp_path):
    log, out, clock = tmp_path / "apply.log", io.StringIO(), Clock()
    log.write_text("")
    follower = Follower(log, out, clock=clock)
    first, rest = REPLACE.split("terraform_data.slow: Creating...\n")
    with log.open("a") as handle:
        handle.write(first + "terraform_data.slow: Crea")  # a line cut mid-write
        handle.flush()
        follower.poll()
        assert out.getvalue() == "  [1/6] terraform_data.slow destroyed (0s)\n"
        handle.write("ting...\n")
        handle.flush()
        clock.now = 31.0
        follower.poll()  # the cut line, whole now, is in flight
        assert (
            out.getvalue().splitlines()[-1]
            == "  waiting: 1 in progress (terraform_data.slow 0s), 5 of 6 remaining"
        )
        handle.write(rest)
    follower.finish()
    assert out.getvalue().splitlines()[-1] == "  [3/6] terraform_data.slow created (12s)"


def test_the_follower_reads_a_last_line_without_its_newline_and_a_character_split_between_polls(tmp_path):
    log, out = tmp_path / "destroy.log", io.StringIO()
    log.write_bytes(b"Plan: 0 to add, 0 to change, 1 to destroy.\naws_s3_bucket.caf\xc3")
    follower = Follower(log, out, clock=Clock())
    follower.poll()
    with log.open("ab") as handle:
        handle.write(b"\xa9: Destroying... [id=x]\naws_s3_bucket.caf\xc3\xa9: Destruction complete after 2s")
    follower.finish()
    assert out.getvalue() == "  [1/1] aws_s3_bucket.café destroyed (2s)\n"


def test_a_closed_output_stops_the_progress_not_the_command(tmp_path):
    log, out = tmp_path / "apply.log", io.StringIO()
    log.write_text(APPLY)
    out.close()  # the reader of the pipe went away
    follower = Follower(log, out, clock=Clock())
    follower.poll()  # no exception: Terraform, in its own process group, must be waited for
    assert follower.progress.done == 3


def test_a_log_not_yet_written_is_waited_for(tmp_path):
    out = io.StringIO()
    follower = Follower(tmp_path / "later.log", out, clock=Clock())
    follower.poll()
    assert out.getvalue() == ""


def test_a_fault_in_the_progress_ends_the_progress_never_the_wait_for_terraform(tmp_path, monkeypatch):
    log, out = tmp_path / "apply.log", io.StringIO()
    log.write_text(APPLY)
    follower = Follower(log, out, clock=Clock())
    monkeypatch.setattr(follower.progress, "feed", lambda line, now: 1 / 0)
    follower.poll()  # no exception
    follower.finish()
    assert (
        out.getvalue()
        == "  (progress stopped: ZeroDivisionError: division by zero; the log has everything)\n"
    )
