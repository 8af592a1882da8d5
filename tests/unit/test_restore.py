"""dr/restore.py and its parts: the restore point and the window (dr/restore_table.py), what is
legitimate and what is the fault's (dr/restore_compare.py), the receipts' versions
(dr/restore_receipts.py), the conditional repair (dr/restore_repair.py), the report and the CLI.

Payments are written by the real handler against moto (``mock_aws``), so their stamps and
fingerprints are the handler's own; the table, the bucket and the repair are moto's. The restore
call is a fake (``FakeDynamo``): moto's in-process restore copies the table as it is now, so the
fake serves the snapshot a test took at T, and answers the window it is told.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from dr import restore, restore_receipts, restore_repair, restore_table
from dr.restore_compare import KEPT, REPAIR, REVIEW, StampCheck, classify, scan
from dr.restore_report import RestoreReport, load
from dr.restore_table import RestoreError, RestoreRefused, Window
from tests.unit.test_handler import BUCKET, REGION, TABLE, VALID, make_event, mocked_aws

FUNCTION = "tap-payments-api-secondary-test"
KEY_ARN = f"arn:aws:kms:{REGION}:123456789012:key/restore-test"
OUTPUTS = {
    "dynamodb_table_name": TABLE,
    "topology": json.dumps({"roles": {"primary": "us-west-2", "secondary": REGION}, "global": REGION}),
    "primary_bucket_name": "receipts-primary",
    "secondary_bucket_name": BUCKET,
    "primary_lambda_function_name": "tap-payments-api-primary-test",
    "secondary_lambda_function_name": FUNCTION,
    "primary_kms_key_arn": "arn:aws:kms:us-west-2:123456789012:key/primary",
    "secondary_kms_key_arn": KEY_ARN,
}


class FakeDynamo:
    """moto's DynamoDB client, but for the restore: the window it is told, and a restore that
    creates the target table from the snapshot taken at T (CREATING for ``creating`` looks)."""

    def __init__(self, real: Any, snapshot: dict[str, Any], window: Window, creating: int = 1) -> None:
        self.real, self.snapshot, self.window, self.creating = real, snapshot, window, creating
        self.restores: list[dict[str, Any]] = []
        self.tags: list[dict[str, Any]] = []
        self.summaries: dict[str, dict[str, Any]] = {}
        self.looks: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def describe_continuous_backups(self, TableName: str) -> dict[str, Any]:
        pitr = {
            "PointInTimeRecoveryStatus": "ENABLED",
            "EarliestRestorableDateTime": self.window.earliest,
            "LatestRestorableDateTime": self.window.latest,
        }
        return {"ContinuousBackupsDescription": {"PointInTimeRecoveryDescription": pitr}}

    def restore_table_to_point_in_time(self, **kwargs: Any) -> dict[str, Any]:
        self.restores.append(kwargs)
        name = kwargs["TargetTableName"]
        self.real.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "payment_id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
        )
        for raw in self.snapshot.values():
            self.real.put_item(TableName=name, Item=raw)
        self.summaries[name] = {
            "SourceTableArn": kwargs["SourceTableArn"],
            "RestoreDateTime": kwargs["RestoreDateTime"],
        }
        return {"TableDescription": self.describe_table(TableName=name)["Table"]}

    def describe_table(self, TableName: str) -> dict[str, Any]:
        described = self.real.describe_table(TableName=TableName)
        if TableName in self.summaries:
            self.looks[TableName] = looks = self.looks.get(TableName, 0) + 1
            restoring = looks <= self.creating
            described["Table"]["RestoreSummary"] = {
                **self.summaries[TableName],
                "RestoreInProgress": restoring,
            }
            described["Table"]["TableStatus"] = "CREATING" if restoring else "ACTIVE"
        return described

    def tag_resource(self, **kwargs: Any) -> None:
        self.tags.append(kwargs)


def _pay(aws: SimpleNamespace, payment_id: str, amount: str = "10.50") -> dict[str, Any]:
    body = {**VALID, "payment_id": payment_id, "amount": amount}
    response = aws.handler.handler(make_event("POST", "/payments", body), None)
    assert response["statusCode"] == 201
    return json.loads(response["body"])


def _versions(aws: SimpleNamespace) -> list[tuple[str, str]]:
    listed = aws.s3.list_object_versions(Bucket=BUCKET)
    return sorted(
        (v["Key"], v["VersionId"]) for v in listed.get("Versions", []) + listed.get("DeleteMarkers", [])
    )


def _receipt(aws: SimpleNamespace, payment_id: str) -> bytes:
    return aws.s3.get_object(Bucket=BUCKET, Key=f"receipts/{payment_id}.json")["Body"].read()


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch):
    """Five payments by the API; T; then the fault: two amounts overwritten, one payment deleted,
    their receipts rewritten or deleted; one payment by the API after T; one planted without a
    stamp. ``world.deployment`` acts through the fake restore."""
    with mocked_aws() as aws:
        aws.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", FUNCTION)
        for n in range(5):
            _pay(aws, f"pay_{n}")
        originals = {f"pay_{n}": _receipt(aws, f"pay_{n}") for n in range(5)}
        snapshot = scan(aws.dynamodb, TABLE)  # the table at T
        when = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)  # before every receipt
        # the fault
        for pid in ("pay_1", "pay_2"):
            aws.dynamodb.update_item(
                TableName=TABLE,
                Key={"payment_id": {"S": pid}},
                UpdateExpression="SET amount = :bad",
                ExpressionAttributeValues={":bad": {"N": "999999.99"}},
            )
            aws.s3.put_object(Bucket=BUCKET, Key=f"receipts/{pid}.json", Body=b'{"amount": "999999.99"}')
        aws.dynamodb.delete_item(TableName=TABLE, Key={"payment_id": {"S": "pay_3"}})
        aws.s3.delete_object(Bucket=BUCKET, Key="receipts/pay_3.json")
        aws.dynamodb.put_item(
            TableName=TABLE,
            Item={"payment_id": {"S": "planted"}, "amount": {"N": "5"}, "currency": {"S": "EUR"}},
        )
        after = _pay(aws, "pay_after")  # the API, after T
        window = Window(when - timedelta(days=1), when + timedelta(minutes=5))
        fake = FakeDynamo(aws.dynamodb, snapshot, window)

        def client(service: str, region: str) -> Any:
            assert region == REGION  # every call goes to the chosen (surviving) region
            return fake if service == "dynamodb" else boto3.client(service, region_name=region)

        deployment = restore.Deployment.from_outputs(OUTPUTS, "secondary", client)
        yield SimpleNamespace(
            aws=aws,
            fake=fake,
            when=when,
            snapshot=snapshot,
            originals=originals,
            after=after,
            deployment=deployment,
        )


def _dry_run(world: SimpleNamespace) -> RestoreReport:
    return restore.dry_run(world.deployment, world.when, wait=5, handler=world.aws.handler)


# --- the restore point and the window ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-01T12:00:00Z", datetime(2026, 5, 1, 12, tzinfo=UTC)),
        ("2026-05-01T12:00:00+00:00", datetime(2026, 5, 1, 12, tzinfo=UTC)),
    ],
)
def test_the_restore_point_is_a_utc_second(text, expected):
    assert restore_table.parse_restore_point(text) == expected
    assert restore_table.restored_table_name("tap-payments-dev", expected) == (
        "tap-payments-dev-restore-20260501T120000Z"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("yesterday", "is not an ISO-8601 UTC time to the second"),
        ("2026-05-01T12:00:00", "is not in UTC"),
        ("2026-05-01T14:00:00+02:00", "is not in UTC"),
        ("2026-05-01T12:00:00.5Z", "has a fraction of a second"),
    ],
)
def test_a_bad_restore_point_is_refused_in_one_line(text, message):
    with pytest.raises(RestoreRefused, match=message) as error:
        restore_table.parse_restore_point(text)
    assert "\n" not in str(error.value)


def test_a_restore_point_outside_the_window_is_refused_before_any_restore(world):
    world.fake.window = Window(world.when - timedelta(days=1), world.when - timedelta(seconds=1))
    with pytest.raises(RestoreRefused) as error:
        _dry_run(world)
    earliest, latest = (restore_table.iso(world.when - d) for d in (timedelta(days=1), timedelta(seconds=1)))
    assert str(error.value) == (
        f"--to {restore_table.iso(world.when)} is outside the restorable window of {TABLE} in {REGION} "
        f"[{earliest}, {latest}]: the latest restorable time trails now by about 5 minutes: wait, or "
        "choose an earlier T"
    )
    assert world.fake.restores == []
    world.fake.window = Window(world.when + timedelta(seconds=1), world.when + timedelta(days=1))
    with pytest.raises(RestoreRefused, match=r"recovery period \(35 days at most\): choose a later T"):
        _dry_run(world)
    assert world.fake.restores == []


def test_the_cli_refuses_the_window_with_exit_2_and_one_line(world, tmp_path, monkeypatch, capsys):
    world.fake.window = Window(world.when - timedelta(days=1), world.when - timedelta(seconds=1))
    outputs = tmp_path / "flat-outputs.json"
    outputs.write_text(json.dumps(OUTPUTS))
    monkeypatch.setattr(restore, "client_factory", lambda: world.deployment.client)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    argv = ["--target", "aws", "--to", restore_table.iso(world.when), "--outputs", str(outputs)]
    assert restore.main([*argv, "--report", str(tmp_path / "report.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --to ") and "outside the restorable window" in err and err.count("\n") == 1
    assert world.fake.restores == [] and not (tmp_path / "report.json").exists()


def test_the_restore_is_named_for_t_tagged_waited_for_and_reused(world):
    report = _dry_run(world)
    name = f"{TABLE}-restore-{world.when.strftime('%Y%m%dT%H%M%SZ')}"
    assert report.restored_table == name
    (call,) = world.fake.restores
    source = world.aws.dynamodb.describe_table(TableName=TABLE)["Table"]["TableArn"]
    assert call == {"SourceTableArn": source, "TargetTableName": name, "RestoreDateTime": world.when}
    assert world.fake.looks[name] == 2  # CREATING as restored, then looked at until ACTIVE
    (tagged,) = world.fake.tags
    tags = {tag["Key"]: tag["Value"] for tag in tagged["Tags"]}
    assert set(tags) == {"restore:what", "restore:from", "restore:to", "restore:by"}
    assert tags["restore:from"] == source and tags["restore:to"] == restore_table.iso(world.when)
    assert tags["restore:by"].startswith("arn:aws:") and "," not in tags["restore:what"]
    # the same T again: the same table, picked up, not restored twice
    again = _dry_run(world)
    assert len(world.fake.restores) == 1 and again.restored_table == name
    assert again.counts() == report.counts()


def test_a_table_of_that_name_that_is_another_restore_is_refused(world):
    name = restore_table.restored_table_name(TABLE, world.when)
    world.aws.dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "payment_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
    )
    with pytest.raises(RestoreRefused, match=f"a table named {name} exists and is not a restore of"):
        _dry_run(world)
    assert world.fake.restores == []


def test_a_restore_is_waited_for_until_active_bounded(world):
    ticks, slept = iter(range(100)), []

    def restore_it(caller: str) -> restore_table.Restored:
        return restore_table.restore(
            world.fake,
            table=TABLE,
            region=REGION,
            when=world.when,
            caller=caller,
            wait=3,
            clock=lambda: next(ticks),
            sleep=slept.append,
        )

    world.fake.creating = 10**6
    with pytest.raises(RestoreError) as error:
        restore_it("me")
    assert not isinstance(error.value, RestoreRefused)
    name = restore_table.restored_table_name(TABLE, world.when)
    assert str(error.value) == (
        f"{name} is still CREATING after 3 s: run the same command again later, it picks the restore "
        "up where it is"
    )
    assert world.fake.tags == [] and len(slept) == 2
    # three more CREATING looks (is it this restore? then two while waiting), then ACTIVE
    world.fake.creating = world.fake.looks[name] + 3
    slept.clear()
    restored = restore_it("arn:aws:sts::123456789012:assumed-role/ops/jane@example.com")
    assert restored.reused and len(slept) == 2 and len(world.fake.restores) == 1
    (tagged,) = world.fake.tags
    by = next(tag["Value"] for tag in tagged["Tags"] if tag["Key"] == "restore:by")
    assert by == "arn:aws:sts::123456789012:assumed-role/ops/jane_example.com"  # "@" is not a tag character


# --- legitimate or the fault's -------------------------------------------------------------------


def test_each_payment_is_unchanged_repaired_kept_or_for_review(world):
    report = _dry_run(world)
    kinds = {entry.payment_id: (entry.kind, entry.why) for entry in report.payments}
    assert kinds == {
        "pay_1": (REPAIR, "changed after T (amount): the API never changes a payment"),
        "pay_2": (REPAIR, "changed after T (amount): the API never changes a payment"),
        "pay_3": (REPAIR, "deleted after T"),
        "pay_after": (KEPT, "created after T by the API"),
        "planted": (REVIEW, "created after T without the API's write stamp (written_by, written_at)"),
    }
    assert report.unchanged == 2  # pay_0 and pay_4
    (changed,) = [e for e in report.payments if e.payment_id == "pay_1"]
    assert changed.changed == ("amount",)
    assert changed.restored == world.snapshot["pay_1"] and changed.seen["amount"] == {"N": "999999.99"}
    assert report.counts() == {
        "unchanged": 2,
        "repair": 3,
        "kept": 1,
        "review": 1,
        "receipts_to_restore": 3,
        "receipts_to_review": 0,
    }


def test_a_new_payment_is_the_apis_only_with_this_deployments_stamp_and_its_own_fingerprint(world):
    stamps = StampCheck(world.aws.handler, [FUNCTION])
    live = scan(world.aws.dynamodb, TABLE)
    good = live["pay_after"]
    assert stamps.problem(good) is None
    foreign = {**good, "written_by": {"S": "someone-elses-function/req-1"}}
    assert "not a request to a function of this deployment" in stamps.problem(foreign)
    no_request = {**good, "written_by": {"S": f"{FUNCTION}/"}}
    assert "not a request to a function of this deployment" in stamps.problem(no_request)
    forged_amount = {**good, "amount": {"N": "999999.99"}}  # the stamp kept, the amount changed
    assert stamps.problem(forged_amount) == (
        "created after T by the API, then changed: its fields no longer match its fingerprint"
    )
    assert "fingerprint" in stamps.problem({**good, "amount": {"S": "ten"}})
    assert "fingerprint" in stamps.problem({k: v for k, v in good.items() if k != "amount"})
    huge = {**good, "amount": {"N": "1" + "0" * 37}}
    assert "fingerprint" in stamps.problem(huge)
    comparison = classify({}, {"x": forged_amount}, stamps)
    assert [(e.kind, e.seen) for e in comparison.entries] == [(REVIEW, forged_amount)]


def test_the_dry_run_writes_nothing_live(world):
    items, versions = scan(world.aws.dynamodb, TABLE), _versions(world.aws)
    report = _dry_run(world)
    assert report.needs_repair()
    assert scan(world.aws.dynamodb, TABLE) == items
    assert _versions(world.aws) == versions


# --- the repair ----------------------------------------------------------------------------------


def test_the_repair_puts_back_the_t_values_and_receipts_and_never_deletes(world):
    report = restore.repair(world.deployment, _dry_run(world))
    assert report.outcomes == {"pay_1": "repaired", "pay_2": "repaired", "pay_3": "repaired"}
    assert report.receipt_outcomes == {"pay_1": "restored", "pay_2": "restored", "pay_3": "restored"}
    live = scan(world.aws.dynamodb, TABLE)
    for pid in ("pay_0", "pay_1", "pay_2", "pay_3", "pay_4"):
        assert live[pid] == world.snapshot[pid]
        assert _receipt(world.aws, pid) == world.originals[pid]
    assert "planted" in live and "pay_after" in live  # never deleted
    assert json.loads(_receipt(world.aws, "pay_after")) == world.after
    assert report.left_for_a_human() == [
        "payment planted: created after T without the API's write stamp (written_by, written_at)"
    ]
    # verified by a second dry run: nothing left to repair
    again = _dry_run(world)
    assert not again.needs_repair() and again.unchanged == 5


def test_the_receipt_restored_is_the_version_at_t_copied_as_a_new_current_version(world):
    report = _dry_run(world)
    plans = {plan.payment_id: plan for plan in report.receipts}
    assert set(plans) == {"pay_1", "pay_2", "pay_3"}
    assert plans["pay_3"].why == "deleted: a delete marker is its current version"
    assert plans["pay_1"].why == "rewritten after T"
    history = world.aws.s3.list_object_versions(Bucket=BUCKET, Prefix="receipts/pay_1.json")["Versions"]
    (original,) = [v for v in history if not v["IsLatest"]]
    assert plans["pay_1"].version_id == original["VersionId"]
    before = _versions(world.aws)
    restore.repair(world.deployment, report)
    after = world.aws.s3.list_object_versions(Bucket=BUCKET, Prefix="receipts/pay_1.json")["Versions"]
    assert len(after) == 3 and set(before) < set(_versions(world.aws))  # every version kept
    (current,) = [v for v in after if v["IsLatest"]]
    assert current["VersionId"] not in {v["VersionId"] for v in history}
    head = world.aws.s3.head_object(Bucket=BUCKET, Key="receipts/pay_1.json")
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == KEY_ARN


def test_a_receipt_untouched_since_t_or_rewritten_alike_is_left_alone(world):
    handler = world.aws.handler
    later = datetime.now(UTC) + timedelta(days=1)  # every version is older than this T
    (deleted,) = restore_receipts.plan(world.aws.s3, BUCKET, later, world.snapshot, handler)
    assert (deleted.payment_id, deleted.state) == ("pay_3", "restore")  # a receipt is due whenever deleted
    # pay_0's receipt written again with the same bytes after T (the handler healing it): fine
    world.aws.s3.put_object(Bucket=BUCKET, Key="receipts/pay_0.json", Body=world.originals["pay_0"])
    plans = restore_receipts.plan(world.aws.s3, BUCKET, world.when, world.snapshot, handler)
    assert "pay_0" not in {plan.payment_id for plan in plans}


def test_a_receipt_with_no_version_of_its_t_content_is_for_a_human(world):
    world.aws.s3.put_object(Bucket=BUCKET, Key="receipts/pay_4.json", Body=b"tampered")
    versions = world.aws.s3.list_object_versions(Bucket=BUCKET, Prefix="receipts/pay_4.json")["Versions"]
    for version in versions:
        if not version["IsLatest"]:  # the original is gone for good
            world.aws.s3.delete_object(
                Bucket=BUCKET, Key="receipts/pay_4.json", VersionId=version["VersionId"]
            )
    gone = {**world.snapshot, "ghost": {**world.snapshot["pay_0"], "payment_id": {"S": "ghost"}}}
    plans = restore_receipts.plan(world.aws.s3, BUCKET, world.when, gone, world.aws.handler)
    by_id = {plan.payment_id: plan for plan in plans}
    assert (by_id["pay_4"].state, by_id["pay_4"].why) == (
        "review",
        "no version of the receipt is the payment's at T",
    )
    assert (by_id["ghost"].state, by_id["ghost"].why) == ("review", "no receipt at all")


def test_a_write_after_the_report_is_not_overwritten(world):
    report = _dry_run(world)
    # after the report: pay_1 changed again, pay_3 created again by a client's retry
    world.aws.dynamodb.update_item(
        TableName=TABLE,
        Key={"payment_id": {"S": "pay_1"}},
        UpdateExpression="SET amount = :newer",
        ExpressionAttributeValues={":newer": {"N": "1.23"}},
    )
    _pay(world.aws, "pay_3", amount="77.00")
    repaired = restore.repair(world.deployment, report)
    assert repaired.outcomes == {"pay_1": "conflict", "pay_2": "repaired", "pay_3": "conflict"}
    assert repaired.receipt_outcomes["pay_1"] == "skipped: its payment is a conflict"
    live = scan(world.aws.dynamodb, TABLE)
    assert live["pay_1"]["amount"] == {"N": "1.23"} and live["pay_3"]["amount"]["N"] in ("77", "77.00")
    assert live["pay_2"] == world.snapshot["pay_2"]
    assert repaired.left_for_a_human() == [
        "payment planted: created after T without the API's write stamp (written_by, written_at)",
        "payment pay_1: conflict (it changed after the report: run the dry run again)",
        "payment pay_3: conflict (it changed after the report: run the dry run again)",
        "receipt of pay_1: skipped: its payment is a conflict",
        "receipt of pay_3: skipped: its payment is a conflict",
    ]


def test_the_condition_is_the_item_as_the_report_saw_it():
    assert restore_repair.condition(None) == {
        "ConditionExpression": "attribute_not_exists(#k)",
        "ExpressionAttributeNames": {"#k": "payment_id"},
    }
    seen = {"payment_id": {"S": "p"}, "amount": {"N": "1"}, "tags": {"SS": ["a"]}}
    assert restore_repair.condition(seen) == {
        "ConditionExpression": "#a0 = :v0 AND #a1 = :v1 AND attribute_exists(#a2)",
        "ExpressionAttributeNames": {"#a0": "amount", "#a1": "payment_id", "#a2": "tags"},
        "ExpressionAttributeValues": {":v0": {"N": "1"}, ":v1": {"S": "p"}},
    }
    assert "ExpressionAttributeValues" not in restore_repair.condition({"odd": {"NULL": True}})


def test_a_re_run_repairs_nothing_new(world):
    report = _dry_run(world)
    restore.repair(world.deployment, report)
    items, versions = scan(world.aws.dynamodb, TABLE), _versions(world.aws)
    again = restore.repair(world.deployment, report)  # the same report, run again
    assert set(again.outcomes.values()) == {"already"} and set(again.receipt_outcomes.values()) == {"already"}
    assert scan(world.aws.dynamodb, TABLE) == items and _versions(world.aws) == versions


def test_an_interrupted_repair_is_resumed_by_running_it_again(world, monkeypatch):
    report = _dry_run(world)
    real, calls = restore_repair.repair, []

    def interrupted(dynamodb, table, entry):
        calls.append(entry.payment_id)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(dynamodb, table, entry)

    monkeypatch.setattr(restore_repair, "repair", interrupted)
    with pytest.raises(KeyboardInterrupt):
        restore.repair(world.deployment, report)
    monkeypatch.setattr(restore_repair, "repair", real)
    assert scan(world.aws.dynamodb, TABLE)["pay_1"] == world.snapshot["pay_1"]  # the first one done
    resumed = restore.repair(world.deployment, report)
    assert resumed.outcomes == {"pay_1": "already", "pay_2": "repaired", "pay_3": "repaired"}
    assert set(resumed.receipt_outcomes.values()) == {"restored"}
    assert not _dry_run(world).needs_repair()


def test_an_unexpected_refusal_is_raised_not_called_a_conflict(world):
    entry = _dry_run(world).of_kind(REPAIR)[0]
    with pytest.raises(Exception, match="ResourceNotFoundException"):
        restore_repair.repair(world.aws.dynamodb, "no-such-table", entry)


# --- the report and the command ------------------------------------------------------------------


def test_the_report_round_trips_and_a_bad_one_is_one_line(world, tmp_path):
    report = restore.repair(world.deployment, _dry_run(world))
    path = tmp_path / "restore-report.json"
    report.write(path)
    assert load(path) == report
    data = json.loads(path.read_text())
    assert data["counts"]["repair"] == 3 and data["repair"]["payments"]["pay_3"] == "repaired"
    path.write_text("[]")
    with pytest.raises(Exception, match=r"not a restore report \(AttributeError"):
        load(path)
    with pytest.raises(Exception, match="not found: run the dry run"):
        load(tmp_path / "missing.json")
    path.write_text("{")
    with pytest.raises(Exception, match="not a readable JSON file"):
        load(path)


def test_the_command_dry_run_then_repair_then_nothing(world, tmp_path, monkeypatch, capsys):
    outputs, report = tmp_path / "flat-outputs.json", tmp_path / "restore-report.json"
    outputs.write_text(json.dumps(OUTPUTS))
    monkeypatch.setattr(restore, "client_factory", lambda: world.deployment.client)
    monkeypatch.setattr(restore, "load_handler", lambda **_: world.aws.handler)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    argv = ["--target", "aws", "--to", restore_table.iso(world.when), "--outputs", str(outputs)]
    argv += ["--report", str(report)]
    items = scan(world.aws.dynamodb, TABLE)
    assert restore.main(argv) == 1  # payments to repair
    out = capsys.readouterr().out
    assert (
        "3 payment(s) and 3 receipt(s) to repair: read the report, then run the same command with --repair"
        in out
    )
    assert "pay_3" in out and "planted" in out and scan(world.aws.dynamodb, TABLE) == items
    assert restore.main([*argv, "--repair"]) == 1  # repaired, but the planted payment is for a human
    captured = capsys.readouterr()
    assert "for a human (1): payment planted" in captured.err
    assert load(report).outcomes == {"pay_1": "repaired", "pay_2": "repaired", "pay_3": "repaired"}
    other = [*argv[:3], restore_table.iso(world.when - timedelta(seconds=1)), *argv[4:]]
    assert restore.main([*other, "--repair"]) == 2  # a report made for another T
    assert "was made for" in capsys.readouterr().err
    world.aws.dynamodb.delete_item(TableName=TABLE, Key={"payment_id": {"S": "planted"}})  # the human
    assert restore.main(argv) == 0
    assert capsys.readouterr().out.strip().endswith("nothing to repair")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--target", "aws", "--to", "noon"], "--to 'noon' is not an ISO-8601 UTC time"),
        (["--target", "aws", "--to", "2026-05-01T12:00:00Z", "--wait", "0"], "--wait must be in [1, 86400]"),
        (["--target", "aws", "--to", "2026-05-01T12:00:00Z", "--region-role", "global"], "invalid choice"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(argv, message, capsys, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        restore.main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and message in err and err.count("\n") == 1


def test_repair_without_a_report_or_with_missing_outputs_is_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    outputs = tmp_path / "flat-outputs.json"
    argv = ["--target", "aws", "--to", "2026-05-01T12:00:00Z", "--outputs", str(outputs)]
    assert restore.main([*argv, "--repair", "--report", str(tmp_path / "none.json")]) == 2
    assert "not found: deploy first" in capsys.readouterr().err
    outputs.write_text(json.dumps(OUTPUTS))
    assert restore.main([*argv, "--repair", "--report", str(tmp_path / "none.json")]) == 2
    assert "none.json not found: run the dry run (without --repair) first" in capsys.readouterr().err


def test_the_aws_target_refuses_the_emulator_endpoint(monkeypatch, capsys):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    with pytest.raises(SystemExit):
        restore.main(["--target", "aws", "--to", "2026-05-01T12:00:00Z"])
    assert "use --target local for the emulator" in capsys.readouterr().err


def test_the_window_is_waited_for_bounded(world):
    late = world.when + timedelta(minutes=10)  # not restorable yet
    ticks, slept = iter(range(100)), []
    window = restore_table.wait_restorable(
        world.fake, TABLE, late, wait=3, clock=lambda: next(ticks), sleep=slept.append
    )
    assert not window.holds(late) and len(slept) == 2
    world.fake.window = Window(world.when, late)
    assert restore_table.wait_restorable(world.fake, TABLE, late, wait=3).holds(late)


def test_a_table_without_point_in_time_recovery_is_refused(world, monkeypatch):
    disabled = {"ContinuousBackupsDescription": {"PointInTimeRecoveryDescription": {}}}
    monkeypatch.setattr(world.fake, "describe_continuous_backups", lambda **_: copy.deepcopy(disabled))
    with pytest.raises(RestoreRefused, match=f"point-in-time recovery is not enabled on {TABLE}"):
        _dry_run(world)
