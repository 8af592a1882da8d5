"""Who the alarms reach: ``ALARM_SUBSCRIPTIONS``, parsed and validated (read by lib/config.py).

A comma-separated list; each entry one SNS subscription on EVERY alarm topic of the stack (each
region's and the us-east-1 health-check topic):

- ``email:<address>``: protocol ``email``. "If the endpoint type is HTTP/S or email ... the
  endpoint owner must run the ConfirmSubscription action to confirm the subscription"
  (https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html): the address gets a link and
  receives nothing until it is followed;
- ``https://<host>/<path>``: protocol ``https`` (a webhook, a paging service);
- ``http://<loopback>:<port>/<path>``: protocol ``http``, ONLY for a loopback host (the local
  emulator's sink): SNS would deliver an alarm in clear text over the internet otherwise.

A chat integration (Amazon Q Developer in chat applications, formerly AWS Chatbot) is not an
entry here: its channel configuration holds "A list of one or more Amazon Simple Notification
Service (Amazon SNS) topic ARNs for the topics to be associated with the configuration"
(https://docs.aws.amazon.com/chatbot/latest/adminguide/security_iam_service-with-iam-resource-based-policies.html),
and it subscribes itself to them: give it the ``alarm_topic_arns`` output. An existing SNS topic
cannot subscribe to a topic (no such protocol: sqs, sms, lambda, firehose, application, email,
email-json, http, https), so "an existing topic" is served the same way.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

VARIABLE = "ALARM_SUBSCRIPTIONS"
# A deliberately plain address check: one @, no spaces or commas, a dotted domain.
_EMAIL_RE = re.compile(r"^[^@\s,]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_LOOPBACK_NAMES = ("localhost",)


@dataclass(frozen=True)
class Subscription:
    """One ``aws_sns_topic_subscription`` per alarm topic: its protocol and endpoint."""

    protocol: str  # email | https | http
    endpoint: str

    def describe(self) -> str:
        return f"{self.protocol}:{self.endpoint}" if self.protocol == "email" else self.endpoint


def parse(value: str | None) -> tuple[tuple[Subscription, ...], list[str]]:
    """The subscriptions ``value`` lists, and one line per problem (an empty list: valid)."""
    subscriptions: list[Subscription] = []
    errors: list[str] = []
    for entry in (part.strip() for part in (value or "").split(",")):
        if not entry:
            continue
        subscription, error = _one(entry)
        if error:
            errors.append(f"{VARIABLE} entry {entry!r} {error}")
        elif subscription in subscriptions:
            errors.append(f"{VARIABLE} entry {entry!r} is listed twice")
        else:
            subscriptions.append(subscription)
    return tuple(subscriptions), errors


def _one(entry: str) -> tuple[Subscription, str | None]:
    scheme, _, rest = entry.partition(":")
    scheme = scheme.lower()
    if scheme == "email":
        if _EMAIL_RE.match(rest):
            return Subscription("email", rest), None
        return Subscription("email", rest), "is not an email address (email:ops@example.com)"
    if scheme in ("https", "http"):
        return _url(scheme, entry)
    return Subscription(scheme, rest), (
        "must be email:<address>, https://<url> or http://<loopback address>:<port>/<path> "
        "(a chat integration subscribes itself to the alarm_topic_arns output)"
    )


def _url(scheme: str, entry: str) -> tuple[Subscription, str | None]:
    subscription = Subscription(scheme, entry)
    try:
        parts = urlsplit(entry)
        host, _port = parts.hostname, parts.port
    except ValueError:
        return subscription, "is not a URL"
    if not host or not entry.startswith(f"{scheme}://"):
        return subscription, "is not a URL"
    if scheme == "http" and not _loopback(host):
        return subscription, (
            "uses http to a host that is not loopback: SNS would send the alarms in clear text; "
            "use https (http is only for the local emulator's sink on 127.0.0.1)"
        )
    return subscription, None


def _loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
