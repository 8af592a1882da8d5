"""Gap: moto's Backup ``ListTags`` finds the resource only when the path ends in a slash.

``ListTags`` "Returns the tags assigned to the resource, such as a target recovery point, backup
plan, or backup vault" (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListTags.html),
whose request is ``GET /tags/resourceArn/``. moto 5.2.5 takes the ARN as the path's next-to-last
segment, so a request without the trailing slash, as the AWS SDK for Go v2 of hashicorp/aws
5.100.0 sends it (``GET /tags/arn%3Aaws%3Abackup%3A...%3Abackup-vault%3Aname``), reads the tags of
a resource named "tags": none. Every backup vault and plan then drifted forever (``tags_all``
"+" the default tags in every plan: the e2e drift check and the chaos lanes' adoption counts
failed on it). This patch takes the ARN that follows ``/tags/``, with or without the slash.
"""

from __future__ import annotations

import functools
import json
from urllib.parse import unquote

from moto.backup.responses import BackupResponse


def resource_arn(path: str) -> str:
    """The ARN of ``/tags/<arn>`` or ``/tags/<arn>/`` (URL-encoded or not)."""
    return unquote(path.split("/tags/", 1)[1].rstrip("/"))


def apply() -> None:
    original = BackupResponse.list_tags

    @functools.wraps(original)
    def list_tags(self: BackupResponse) -> str:
        tags = self.backup_backend.list_tags(resource_arn=resource_arn(self.path))
        return json.dumps({"Tags": tags})

    BackupResponse.list_tags = list_tags  # type: ignore[method-assign]
