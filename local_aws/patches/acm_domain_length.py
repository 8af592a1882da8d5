"""Stricter: ACM refuses a certificate whose domain name is longer than 64 characters.

AWS: "In compliance with RFC 5280, the length of the domain name (technically, the Common Name)
that you provide cannot exceed 64 octets (characters), including periods. To add a longer
domain name, specify it in the Subject Alternative Name field, which supports names up to 253
octets in length." (https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html)

moto 5.2.5 issues a certificate for any name, so a ``DOMAIN_NAME`` whose ``api.<DOMAIN_NAME>``
exceeds 64 characters deploys here and fails on AWS. This patch refuses such a
``RequestCertificate`` with a ``ValidationException`` (subject alternative names keep their
253-character limit).
"""

from __future__ import annotations

import functools
from typing import Any

from moto.acm.exceptions import AWSValidationException
from moto.acm.models import AWSCertificateManagerBackend

MAX_DOMAIN_NAME = 64


def apply() -> None:
    original = AWSCertificateManagerBackend.request_certificate

    @functools.wraps(original)
    def request_certificate(
        self: AWSCertificateManagerBackend, domain_name: str, *args: Any, **kwargs: Any
    ) -> str:
        if len(domain_name or "") > MAX_DOMAIN_NAME:
            raise AWSValidationException(
                f"The first domain name can't exceed {MAX_DOMAIN_NAME} characters: {domain_name!r} has "
                f"{len(domain_name)}; put longer names in SubjectAlternativeNames"
            )
        return original(self, domain_name, *args, **kwargs)

    AWSCertificateManagerBackend.request_certificate = request_certificate
