"""Gap: moto issues an AMAZON_ISSUED ACM certificate after a fixed wait, whether or not anyone
created its validation record.

moto 5.2.5 flips a requested certificate to ISSUED on the first describe made more than
``moto.settings.ACM_VALIDATION_WAIT`` seconds after the request (read from
``MOTO_ACM_VALIDATION_WAIT`` once, when ``moto.settings`` is first imported; default 60), and
never looks at DNS. AWS validates a DNS-validated certificate through its CNAME: the
``ResourceRecord`` is "The CNAME record that ACM creates for DNS validation. Add this record to
your DNS configuration to prove that you own or control the domain."
(https://docs.aws.amazon.com/acm/latest/APIReference/API_DnsValidationChallenge.html); "A
certificate enters status PENDING_VALIDATION upon being requested ... If validation succeeds, the
certificate enters status ISSUED." (``Status``,
https://docs.aws.amazon.com/acm/latest/APIReference/API_CertificateDetail.html); DNS validation:
https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html.

With this patch the wait is 0 (server.py sets the variable before importing moto; this sets the
parsed setting too, for the in-process tests) and a DNS-validated certificate stays
PENDING_VALIDATION until every one of its domains' validation CNAMEs resolves, with the value ACM
asked for, in the emulator's public DNS (``dataplane/dns_server.py``: the emulator's public hosted
zones stand for public DNS). So a stack that forgets the validation record, or writes it wrongly,
waits here as it would on AWS, instead of being issued a certificate.

Not modelled: ACM's 72-hour give-up (VALIDATION_TIMED_OUT), renewals, email and HTTP validation
(moto keeps no ValidationMethod and describes every certificate as DNS-validated, so every
AMAZON_ISSUED certificate waits for its CNAME here: stricter for an email-validated one).
"""

from __future__ import annotations

import functools
import os
from typing import Any

from moto import settings
from moto.acm.models import CertBundle


def _norm(name: str) -> str:
    return name.lower().rstrip(".")


def validated(certificate: CertBundle) -> bool:
    """Every domain's validation CNAME is in the emulator's public DNS, with ACM's value."""
    from local_aws.dataplane.dns_resolver import Resolver  # noqa: PLC0415 - moto loads first

    dns = Resolver(health=lambda _: True)  # the emulator's public DNS, asked directly
    options = certificate.describe()["Certificate"].get("DomainValidationOptions", [])
    for option in options:
        record = option["ResourceRecord"]
        answer = dns.resolve(record["Name"], "CNAME")
        if _norm(record["Value"]) not in {_norm(value) for value in answer.values}:
            return False
    return bool(options)


def apply() -> None:
    settings.ACM_VALIDATION_WAIT = int(os.environ.get("MOTO_ACM_VALIDATION_WAIT", "0"))
    original = CertBundle.check

    @functools.wraps(original)
    def check(self: CertBundle) -> Any:
        pending = self.type == "AMAZON_ISSUED" and self.status == "PENDING_VALIDATION"
        result = original(self)
        if pending and self.status == "ISSUED" and not validated(self):
            self.status = "PENDING_VALIDATION"
        return result

    CertBundle.check = check
