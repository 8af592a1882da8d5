"""Gap: moto answers GetObject for a delete marker's version id as a missing version (404).

Reading a key "as it was at a time" lists its versions (``ListObjectVersions``) and gets the one
current then; when that entry is a delete marker the key did not exist then. S3 answers a
``GetObject`` naming a delete marker's version with 405, not 404: "If the specified version in
the request is a delete marker, the response returns a 405 Method Not Allowed error and the
``Last-Modified: timestamp`` response header."
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, as the SDK reference
words it: https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/s3/aws.sdk.kotlin.services.s3.model/-get-object-response/delete-marker.html).
moto 5.2.5 answers ``HeadObject`` so, but ``GetObject`` with 404 ``NoSuchVersion``, which a
tool would read as "no such version" rather than "deleted then".

This patch answers that ``GetObject`` with 405 ``MethodNotAllowed``, ``x-amz-delete-marker:
true``, the marker's ``x-amz-version-id`` and ``Last-Modified``, and ``Allow: DELETE`` (as moto's
``HeadObject`` does). Not modelled: the other operations on a marker's version (tagging, ACL,
attributes) keep moto's answers.
"""

from __future__ import annotations

import functools
from typing import Any

from moto.core.utils import rfc_1123_datetime
from moto.s3.models import FakeDeleteMarker
from moto.s3.responses import S3Response

ERROR = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>MethodNotAllowed</Code>'
    "<Message>The specified method is not allowed against this resource.</Message>"
    "<Method>GET</Method><ResourceType>DeleteMarker</ResourceType></Error>"
)


def apply() -> None:
    get_object = S3Response.get_object

    @functools.wraps(get_object)
    def get(self: S3Response) -> Any:
        version_id = self.querystring.get("versionId", [None])[0]
        if version_id:
            found = self.backend.get_object(
                self.bucket_name, self.parse_key_name(), version_id=version_id, return_delete_marker=True
            )
            if isinstance(found, FakeDeleteMarker):
                headers = {
                    "x-amz-delete-marker": "true",
                    "x-amz-version-id": version_id,
                    "Last-Modified": rfc_1123_datetime(found.last_modified),
                    "allow": "DELETE",
                    "content-type": "application/xml",
                }
                return 405, headers, ERROR
        return get_object(self)

    S3Response.get_object = get  # type: ignore[method-assign]
