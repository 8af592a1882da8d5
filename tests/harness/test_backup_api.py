"""AWS Backup as the provider's aws_backup_vault, _vault_policy, _vault_lock_configuration, _plan
and _selection call it (local_aws/patches/backup_*.py), with boto3 against the in-process
emulator. moto 5.2.5 answers HTTP 501 for selections, vault policies, UpdateBackupPlan and
ListRecoveryPointsByBackupVault, and deletes any vault silently."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError
from moto.backup.models import backup_backends

from local_aws.patches import backup_vault_lock
from local_aws.patches.backup_vaults import recovery_points
from tests.harness.conftest import boto

EAST, WEST = "us-east-1", "us-west-2"
ACCOUNT = "123456789012"  # moto's default account, as the dummy credentials map to it
VAULT = "payments-vault"
SCALE = 10.0
DAY = 86400.0
TRUST_BACKUP = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


@pytest.fixture(autouse=True)
def reset(endpoint, monkeypatch):
    monkeypatch.setenv("EMULATOR_TIME_SCALE", str(int(SCALE)))
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))


@pytest.fixture
def backup(endpoint):
    return {region: boto("backup", region, endpoint) for region in (EAST, WEST)}


@pytest.fixture
def kms(endpoint):
    return {region: boto("kms", region, endpoint) for region in (EAST, WEST)}


@pytest.fixture
def vault(backup, kms):
    key = kms[EAST].create_key()["KeyMetadata"]["Arn"]
    backup[EAST].create_backup_vault(BackupVaultName=VAULT, EncryptionKeyArn=key)
    return key


def _role(endpoint: str, name: str, trust: dict) -> str:
    iam = boto("iam", EAST, endpoint)
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return err.value.response["Error"]["Code"], err.value.response["Error"]["Message"]


def _rule(**extra) -> dict:
    return {
        "RuleName": "daily",
        "TargetBackupVaultName": VAULT,
        "ScheduleExpression": "cron(0 5 ? * * *)",
        "StartWindowMinutes": 60,
        "CompletionWindowMinutes": 180,
        "Lifecycle": {"DeleteAfterDays": 35},
        **extra,
    }


def _plan(client, name: str = "payments-plan", **rule) -> dict:
    return client.create_backup_plan(BackupPlan={"BackupPlanName": name, "Rules": [_rule(**rule)]})


def test_a_vault_describes_its_type_state_key_and_no_lock(backup, kms, vault):
    described = backup[EAST].describe_backup_vault(BackupVaultName=VAULT)

    assert described["BackupVaultArn"] == f"arn:aws:backup:{EAST}:{ACCOUNT}:backup-vault:{VAULT}"
    assert (described["VaultType"], described["VaultState"]) == ("BACKUP_VAULT", "AVAILABLE")
    assert described["EncryptionKeyArn"] == vault
    assert described["NumberOfRecoveryPoints"] == 0
    assert described["Locked"] is False
    assert "LockDate" not in described

    backup[EAST].create_backup_vault(BackupVaultName="default-key")
    managed = kms[EAST].describe_key(KeyId="alias/aws/backup")["KeyMetadata"]["Arn"]
    assert backup[EAST].describe_backup_vault(BackupVaultName="default-key")["EncryptionKeyArn"] == managed

    west_key = kms[WEST].create_key()["KeyMetadata"]["Arn"]
    with pytest.raises(ClientError) as err:
        backup[EAST].create_backup_vault(BackupVaultName="wrong-region-key", EncryptionKeyArn=west_key)
    assert _error(err)[0] == "InvalidParameterValueException"


def test_a_compliance_lock_can_change_in_its_grace_time_and_never_after(backup, vault, monkeypatch):
    client = backup[EAST]
    before = time.time()
    client.put_backup_vault_lock_configuration(
        BackupVaultName=VAULT, ChangeableForDays=3, MinRetentionDays=7, MaxRetentionDays=35
    )
    after = time.time()
    described = client.describe_backup_vault(BackupVaultName=VAULT)
    assert described["Locked"] is True
    assert (described["MinRetentionDays"], described["MaxRetentionDays"]) == (7, 35)
    grace = 3 * DAY / SCALE  # 72 AWS hours at the emulator's time scale
    assert before + grace - 0.01 <= described["LockDate"].timestamp() <= after + grace + 0.01

    client.put_backup_vault_lock_configuration(
        BackupVaultName=VAULT, ChangeableForDays=3, MinRetentionDays=14
    )
    assert client.describe_backup_vault(BackupVaultName=VAULT)["MinRetentionDays"] == 14
    client.delete_backup_vault_lock_configuration(BackupVaultName=VAULT)  # still in the grace time
    assert client.describe_backup_vault(BackupVaultName=VAULT)["Locked"] is False

    client.put_backup_vault_lock_configuration(BackupVaultName=VAULT, ChangeableForDays=3, MinRetentionDays=7)
    lock_date = client.describe_backup_vault(BackupVaultName=VAULT)["LockDate"].timestamp()
    monkeypatch.setattr(backup_vault_lock, "now", lambda: lock_date + 1)
    with pytest.raises(ClientError) as err:
        client.delete_backup_vault_lock_configuration(BackupVaultName=VAULT)
    assert _error(err)[0] == "InvalidRequestException"
    with pytest.raises(ClientError) as err:
        client.put_backup_vault_lock_configuration(BackupVaultName=VAULT, MinRetentionDays=1)
    assert _error(err)[0] == "InvalidRequestException"
    assert client.describe_backup_vault(BackupVaultName=VAULT)["MinRetentionDays"] == 7


def test_a_governance_lock_can_be_removed_at_any_time(backup, vault, monkeypatch):
    client = backup[EAST]
    client.put_backup_vault_lock_configuration(BackupVaultName=VAULT, MinRetentionDays=7)
    assert "LockDate" not in client.describe_backup_vault(BackupVaultName=VAULT)
    monkeypatch.setattr(backup_vault_lock, "now", lambda: time.time() + 400 * DAY)
    client.delete_backup_vault_lock_configuration(BackupVaultName=VAULT)
    assert client.describe_backup_vault(BackupVaultName=VAULT)["Locked"] is False


def test_lock_settings_outside_their_ranges_are_refused(backup, vault):
    for settings in (
        {"ChangeableForDays": 2},
        {"ChangeableForDays": 36501},
        {"MinRetentionDays": 0},
        {"MinRetentionDays": 30, "MaxRetentionDays": 7},
    ):
        with pytest.raises(ClientError) as err:
            backup[EAST].put_backup_vault_lock_configuration(BackupVaultName=VAULT, **settings)
        assert _error(err)[0] == "InvalidParameterValueException", settings
    assert backup[EAST].describe_backup_vault(BackupVaultName=VAULT)["Locked"] is False


def test_only_an_empty_vault_can_be_deleted(backup, vault):
    client = backup[EAST]
    assert client.list_recovery_points_by_backup_vault(BackupVaultName=VAULT)["RecoveryPoints"] == []
    point = f"arn:aws:backup:{EAST}:{ACCOUNT}:recovery-point:p-1"
    recovery_points(backup_backends[ACCOUNT][EAST].vaults[VAULT]).append(  # no backup job runs here
        {"RecoveryPointArn": point, "BackupVaultName": VAULT, "Status": "COMPLETED"}
    )
    assert [
        p["RecoveryPointArn"]
        for p in client.list_recovery_points_by_backup_vault(BackupVaultName=VAULT)["RecoveryPoints"]
    ] == [point]
    assert client.describe_backup_vault(BackupVaultName=VAULT)["NumberOfRecoveryPoints"] == 1

    with pytest.raises(ClientError) as err:
        client.delete_backup_vault(BackupVaultName=VAULT)
    assert _error(err)[0] == "InvalidRequestException"

    recovery_points(backup_backends[ACCOUNT][EAST].vaults[VAULT]).clear()
    client.delete_backup_vault(BackupVaultName=VAULT)
    for call in (
        client.delete_backup_vault,
        client.describe_backup_vault,
        client.list_recovery_points_by_backup_vault,
    ):
        with pytest.raises(ClientError) as err:
            call(BackupVaultName=VAULT)
        assert _error(err)[0] == "ResourceNotFoundException"


def test_a_vault_access_policy_is_put_read_and_deleted(backup, vault):
    client = backup[EAST]
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"],
                    "Resource": "*",
                }
            ],
        }
    )
    with pytest.raises(ClientError) as err:
        client.get_backup_vault_access_policy(BackupVaultName=VAULT)
    assert _error(err)[0] == "ResourceNotFoundException"

    client.put_backup_vault_access_policy(BackupVaultName=VAULT, Policy=policy)
    read = client.get_backup_vault_access_policy(BackupVaultName=VAULT)
    assert json.loads(read["Policy"]) == json.loads(policy)
    assert read["BackupVaultArn"] == client.describe_backup_vault(BackupVaultName=VAULT)["BackupVaultArn"]

    for bad in (
        "not json",
        json.dumps({"Statement": []}),
        json.dumps({"Statement": [{"Effect": "Maybe", "Action": "*"}]}),
    ):
        with pytest.raises(ClientError) as err:
            client.put_backup_vault_access_policy(BackupVaultName=VAULT, Policy=bad)
        assert _error(err)[0] == "InvalidParameterValueException"
    assert json.loads(client.get_backup_vault_access_policy(BackupVaultName=VAULT)["Policy"]) == json.loads(
        policy
    )

    client.delete_backup_vault_access_policy(BackupVaultName=VAULT)
    with pytest.raises(ClientError) as err:
        client.get_backup_vault_access_policy(BackupVaultName=VAULT)
    assert _error(err)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        client.put_backup_vault_access_policy(BackupVaultName="no-such-vault", Policy=policy)
    assert _error(err)[0] == "ResourceNotFoundException"


def test_a_plan_is_updated_to_a_new_version_and_a_deleted_plan_frees_its_name(backup, vault):
    client = backup[EAST]
    copy = {
        "DestinationBackupVaultArn": f"arn:aws:backup:{WEST}:{ACCOUNT}:backup-vault:{VAULT}",
        "Lifecycle": {"DeleteAfterDays": 35},
    }
    created = _plan(client, CopyActions=[copy])
    [rule] = client.get_backup_plan(BackupPlanId=created["BackupPlanId"])["BackupPlan"]["Rules"]
    assert rule["CopyActions"] == [copy]
    assert rule["Lifecycle"] == {"DeleteAfterDays": 35}
    with pytest.raises(ClientError) as err:
        _plan(client)
    assert _error(err)[0] == "AlreadyExistsException"

    updated = client.update_backup_plan(
        BackupPlanId=created["BackupPlanId"],
        BackupPlan={
            "BackupPlanName": "payments-plan",
            "Rules": [_rule(ScheduleExpression="cron(0 6 ? * * *)")],
        },
    )
    assert updated["VersionId"] != created["VersionId"]
    read = client.get_backup_plan(BackupPlanId=created["BackupPlanId"])
    assert read["VersionId"] == updated["VersionId"]
    assert read["BackupPlan"]["Rules"][0]["ScheduleExpression"] == "cron(0 6 ? * * *)"
    assert "CopyActions" not in read["BackupPlan"]["Rules"][0]

    client.delete_backup_plan(BackupPlanId=created["BackupPlanId"])
    with pytest.raises(ClientError) as err:
        client.update_backup_plan(
            BackupPlanId=created["BackupPlanId"],
            BackupPlan={"BackupPlanName": "payments-plan", "Rules": [_rule()]},
        )
    assert _error(err)[0] == "ResourceNotFoundException"
    assert _plan(client)["BackupPlanId"] != created["BackupPlanId"]  # the name is free again


def test_a_plan_lifecycle_and_copy_destination_are_checked(backup, vault):
    for rule in (
        {"Lifecycle": {"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 60}},
        {"CopyActions": [{"DestinationBackupVaultArn": "payments-vault"}]},
        {
            "CopyActions": [
                {
                    "DestinationBackupVaultArn": f"arn:aws:backup:{WEST}:{ACCOUNT}:backup-vault:{VAULT}",
                    "Lifecycle": {"MoveToColdStorageAfterDays": 10, "DeleteAfterDays": 20},
                }
            ]
        },
    ):
        with pytest.raises(ClientError) as err:
            _plan(backup[EAST], **rule)
        assert _error(err)[0] == "InvalidParameterValueException", rule
    assert backup[EAST].list_backup_plans()["BackupPlansList"] == []
    _plan(backup[EAST], Lifecycle={"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 120})


def test_a_selection_is_created_read_listed_and_deleted_before_its_plan(backup, vault, endpoint):
    client = backup[EAST]
    role = _role(endpoint, "backup-role", TRUST_BACKUP)
    plan_id = _plan(client)["BackupPlanId"]
    resources = [f"arn:aws:dynamodb:{EAST}:{ACCOUNT}:table/payments", "arn:aws:s3:::receipts-*"]
    created = client.create_backup_selection(
        BackupPlanId=plan_id,
        BackupSelection={"SelectionName": "payments", "IamRoleArn": role, "Resources": resources},
    )
    selection_id = created["SelectionId"]
    assert created["BackupPlanId"] == plan_id

    read = client.get_backup_selection(BackupPlanId=plan_id, SelectionId=selection_id)
    assert read["BackupSelection"]["SelectionName"] == "payments"
    assert read["BackupSelection"]["IamRoleArn"] == role
    assert read["BackupSelection"]["Resources"] == resources
    assert (read["SelectionId"], read["BackupPlanId"]) == (selection_id, plan_id)
    listed = client.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]
    assert [(s["SelectionId"], s["SelectionName"], s["IamRoleArn"]) for s in listed] == [
        (selection_id, "payments", role)
    ]

    with pytest.raises(ClientError) as err:
        client.delete_backup_plan(BackupPlanId=plan_id)
    code, message = _error(err)
    assert code == "InvalidRequestException"
    assert message.startswith("Related backup plan selections must be deleted prior to backup")

    client.delete_backup_selection(BackupPlanId=plan_id, SelectionId=selection_id)
    with pytest.raises(ClientError) as err:
        client.get_backup_selection(BackupPlanId=plan_id, SelectionId=selection_id)
    assert _error(err)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        client.delete_backup_selection(BackupPlanId=plan_id, SelectionId=selection_id)
    assert _error(err)[0] == "InvalidParameterValueException"
    client.delete_backup_plan(BackupPlanId=plan_id)
    with pytest.raises(ClientError) as err:
        client.get_backup_selection(BackupPlanId=plan_id, SelectionId=selection_id)
    code, message = _error(err)
    assert code == "InvalidParameterValueException"
    assert "Cannot find Backup plan" in message


def test_a_selection_needs_a_role_backup_can_assume_and_prefix_wildcards(backup, vault, endpoint):
    client = backup[EAST]
    plan_id = _plan(client)["BackupPlanId"]
    lambda_only = {
        **TRUST_BACKUP,
        "Statement": [{**TRUST_BACKUP["Statement"][0], "Principal": {"Service": "lambda.amazonaws.com"}}],
    }
    for role in (f"arn:aws:iam::{ACCOUNT}:role/missing", _role(endpoint, "lambda-role", lambda_only)):
        with pytest.raises(ClientError) as err:
            client.create_backup_selection(
                BackupPlanId=plan_id,
                BackupSelection={"SelectionName": "s", "IamRoleArn": role, "Resources": ["*"]},
            )
        assert _error(err) == (
            "InvalidParameterValueException",
            f"IAM Role {role} cannot be assumed by AWS Backup",
        )

    role = _role(endpoint, "backup-role", TRUST_BACKUP)
    with pytest.raises(ClientError) as err:
        client.create_backup_selection(
            BackupPlanId=plan_id,
            BackupSelection={"SelectionName": "s", "IamRoleArn": role, "Resources": ["arn:aws:s3:::*-logs"]},
        )
    assert _error(err)[0] == "InvalidParameterValueException"
    assert client.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"] == []


def test_tags_are_listed_with_or_without_the_trailing_slash(backup, vault):
    """patches/backup_list_tags.py: the AWS SDK for Go v2 (hashicorp/aws 5.100.0) sends ListTags as
    ``GET /tags/<arn>`` without the API reference's trailing slash; moto answered no tags then, and
    every vault and plan drifted in the e2e plan (tags_all + the default tags)."""
    arn = backup[EAST].describe_backup_vault(BackupVaultName=VAULT)["BackupVaultArn"]
    backup[EAST].tag_resource(ResourceArn=arn, Tags={"EnvironmentSuffix": "dev"})
    assert backup[EAST].list_tags(ResourceArn=arn)["Tags"] == {"EnvironmentSuffix": "dev"}  # botocore: "/"

    def without_slash(request, **_):
        request.url = request.url.rstrip("/")

    client = backup[EAST]
    client.meta.events.register("before-sign.backup.ListTags", without_slash)
    try:
        assert client.list_tags(ResourceArn=arn)["Tags"] == {"EnvironmentSuffix": "dev"}
    finally:
        client.meta.events.unregister("before-sign.backup.ListTags", without_slash)
