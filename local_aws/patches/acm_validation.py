"""Gap: moto keeps AMAZON_ISSUED ACM certificates PENDING_VALIDATION for 60 s.

moto 5.2.5 flips a requested certificate to ISSUED on the first describe made
more than ``moto.settings.ACM_VALIDATION_WAIT`` seconds after the request.
That setting is read from ``MOTO_ACM_VALIDATION_WAIT`` once, when
``moto.settings`` is first imported (default 60), so an
``aws_acm_certificate_validation`` would sit for a minute.  server.py sets
the variable to 0 before importing moto; this patch sets the parsed setting
too, so it also holds when moto was imported first (e.g. under pytest).

AWS: ACM issues a DNS-validated certificate once it finds the validation CNAME, typically within
minutes; the emulator has no DNS to wait for, so it issues at once:
https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html
"""

from __future__ import annotations

import os

from moto import settings


def apply() -> None:
    settings.ACM_VALIDATION_WAIT = int(os.environ.get("MOTO_ACM_VALIDATION_WAIT", "0"))
