"""lib/backup_retention.py: each profile's PITR window, backup and copy retention and vault lock,
and the combinations AWS would refuse, refused at synth."""

from __future__ import annotations

import pytest

from lib.backup_retention import DEV, PROD, STAGING, BackupRetention
from lib.config import PROFILES


def test_each_profile_keeps_its_own():
    assert {name: p.backups for name, p in PROFILES.items()} == {"dev": DEV, "staging": STAGING, "prod": PROD}
    assert (DEV.pitr_days, DEV.backup_days, DEV.copy_days, DEV.lock_min_days) == (7, 1, 1, None)
    assert (STAGING.pitr_days, STAGING.backup_days, STAGING.copy_days, STAGING.lock_min_days) == (
        14,
        7,
        7,
        None,
    )
    assert (PROD.pitr_days, PROD.backup_days, PROD.copy_days, PROD.lock_min_days) == (35, 35, 35, 35)


def test_only_prod_locks_its_vaults_and_only_profiles_that_keep_their_data():
    """A lock makes a vault undeletable while it holds recovery points: never where a destroy
    must succeed."""
    for profile in PROFILES.values():
        assert (
            (profile.backups.lock_min_days is not None)
            is profile.prevent_destroy
            is not profile.force_destroy
        )


@pytest.mark.parametrize("days", [0, 36])
def test_a_pitr_window_dynamodb_refuses_is_refused(days):
    with pytest.raises(ValueError, match=f"pitr_days={days}: DynamoDB's recovery period is 1-35 days"):
        BackupRetention(pitr_days=days, backup_days=1, copy_days=1, lock_min_days=None)


@pytest.mark.parametrize(("backup_days", "copy_days"), [(0, 1), (1, 0)])
def test_a_recovery_point_is_kept_a_day_at_least(backup_days, copy_days):
    with pytest.raises(ValueError, match="1 day at least"):
        BackupRetention(pitr_days=1, backup_days=backup_days, copy_days=copy_days, lock_min_days=None)


@pytest.mark.parametrize("lock", [0, 8])
def test_a_lock_the_profiles_own_backups_or_copies_would_break_is_refused(lock):
    with pytest.raises(ValueError, match=rf"lock_min_days={lock}: .* keeps them 7 day\(s\)"):
        BackupRetention(pitr_days=35, backup_days=30, copy_days=7, lock_min_days=lock)


def test_a_lock_up_to_the_shortest_retention_is_accepted():
    assert BackupRetention(pitr_days=1, backup_days=30, copy_days=7, lock_min_days=7).lock_min_days == 7
