"""SNS subscriptions that wait for their confirmation, and HTTP/S delivery as SNS makes it, to
loopback endpoints only.

The gap, in moto 5.2.5: every subscription is confirmed at once (``PendingConfirmation`` false),
no ``SubscriptionConfirmation`` is ever sent, ``ConfirmSubscription`` checks no token, and a
publish POSTs to any http/https endpoint, on any host, without SNS's headers. So an alarm would
"reach" an endpoint that never confirmed, and a test could send a request off the machine.

What SNS does, in its words:

- "After you subscribe an HTTP/HTTPS endpoint, Amazon SNS sends a subscription confirmation
  message to the HTTP/HTTPS endpoint. This message contains a ``SubscribeURL`` value that you
  must visit to confirm the subscription (alternatively, you can use the ``Token`` value with the
  ConfirmSubscription)." and "Amazon SNS doesn't send notifications to this endpoint until the
  subscription is confirmed" (https://docs.aws.amazon.com/sns/latest/dg/http-subscription-confirmation-json.html).
  Its body: ``Type`` ``SubscriptionConfirmation``, ``MessageId``, ``Token``, ``TopicArn``,
  ``Message`` ("You have chosen to subscribe to the topic <arn>.\\nTo confirm the subscription,
  visit the SubscribeURL included in this message."), ``SubscribeURL``, ``Timestamp``,
  ``SignatureVersion``, ``Signature``, ``SigningCertURL`` (same page).
- "``PendingConfirmation`` - ``true`` if the subscription hasn't been confirmed. To confirm a
  pending subscription, call the ``ConfirmSubscription`` action with a confirmation token."
  (https://docs.aws.amazon.com/sns/latest/api/API_GetSubscriptionAttributes.html);
  "``ConfirmationWasAuthenticated`` - ``true`` if the subscription confirmation request was
  authenticated." (same page): a visit of the URL is not, a signed ConfirmSubscription is.
- "When Amazon SNS sends a subscription confirmation, notification, or unsubscribe confirmation
  message to HTTP/HTTPS endpoints, it sends a POST message with a number of Amazon SNS-specific
  header values." ``x-amz-sns-message-type`` ("``SubscriptionConfirmation``, ``Notification``, and
  ``UnsubscribeConfirmation``"), ``x-amz-sns-message-id``, ``x-amz-sns-topic-arn``,
  ``x-amz-sns-subscription-arn``; "By default, Amazon SNS sends all the notification to HTTP/S
  endpoints with ``Content-Type`` set to ``text/plain; charset=UTF-8``."
  (https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html). The
  notification's body is moto's (``Type`` ``Notification``, ``MessageId``, ``TopicArn``,
  ``Subject``, ``Message``, ``Timestamp``, the signature fields, ``UnsubscribeURL``).
- Email: "Email subscriptions require confirmation" (the CDK's ``EmailSubscription``); the user
  clicks a link nobody clicks here, so an ``email``/``email-json`` subscription stays pending.

Where the emulator differs from AWS:

- Loopback only (a rule of this machine, not AWS's): an endpoint whose host is not a loopback
  address (``127.0.0.0/8``, ``::1``, ``localhost``) is never contacted, neither confirmation nor
  notification; its subscription stays pending.
- ``SubscribeURL`` is the emulator's own (``http://<the host the Subscribe call reached>/?Action=
  ConfirmSubscription&TopicArn=...&Token=...``), answered unsigned as SNS's is.
- The confirmation is not signed (``Signature`` empty: undocumented here, an endpoint that
  verifies signatures refuses it, the stricter reading); notifications carry moto's signature.
- One POST per message, no retries, no delivery policy, no raw delivery; a wrong token is
  ``InvalidParameter`` (undocumented wording: assumed). ``ListSubscriptions`` shows the ARN of
  a pending subscription (AWS: "PendingConfirmation"). No ``UnsubscribeConfirmation``.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import threading
import urllib.request
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

CONFIRMING = ("http", "https", "email", "email-json")  # subscriptions that wait for their endpoint
HTTP = ("http", "https")
TIMEOUT = 5.0  # seconds a POST may take (the endpoint is on this machine)
CONFIRMATION_TEXT = (
    "You have chosen to subscribe to the topic {arn}.\nTo confirm the subscription, visit the SubscribeURL "
    "included in this message."
)

_tokens: dict[str, str] = {}  # token -> subscription ARN
_lock = threading.Lock()
delivered: list[tuple[str, str]] = []  # (endpoint, message type): what was POSTed, for the tests
refused: list[str] = []  # endpoints never contacted (not loopback)


def loopback(url: str) -> bool:
    """Whether ``url``'s host is this machine (a loopback address or ``localhost``)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _post(url: str, body: dict[str, Any], headers: dict[str, str]) -> None:
    """POST ``body`` to ``url`` in the background, once (a loopback ``url`` only)."""
    if not loopback(url):
        with _lock:
            refused.append(url)
        print(f"local_aws: sns: not delivered to {url}: not a loopback address", flush=True)
        return

    def send() -> None:
        request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
                answer.read()
        except OSError as error:
            print(f"local_aws: sns: delivery to {url} failed: {error}", flush=True)
        with _lock:
            delivered.append((url, headers["x-amz-sns-message-type"]))

    threading.Thread(target=send, name="sns-delivery", daemon=True).start()


def _headers(kind: str, message_id: str, topic_arn: str, subscription_arn: str) -> dict[str, str]:
    return {
        "x-amz-sns-message-type": kind,
        "x-amz-sns-message-id": message_id,
        "x-amz-sns-topic-arn": topic_arn,
        "x-amz-sns-subscription-arn": subscription_arn,
        "Content-Type": "text/plain; charset=UTF-8",
        "User-Agent": "Amazon Simple Notification Service Agent",
    }


def _pending(subscription: Any) -> bool:
    return bool(subscription.attributes.get("PendingConfirmation"))


def _confirm(token: str, topic_arn: str, *, authenticated: bool) -> Any | None:
    """The subscription ``token`` confirms on ``topic_arn``, confirmed; None for a wrong one."""
    from moto.sns.models import sns_backends  # noqa: PLC0415

    arn = _tokens.get(token)
    if arn is None or not arn.startswith(topic_arn + ":"):
        return None
    account, region = arn.split(":")[4], arn.split(":")[3]
    backend = dict.get(dict.get(sns_backends, account) or {}, region)  # never creates one
    subscription = backend.subscriptions.get(arn) if backend else None
    if subscription is None:
        return None
    if _pending(subscription):
        subscription.confirmed = True
        subscription.attributes["PendingConfirmation"] = False
        subscription.attributes["ConfirmationWasAuthenticated"] = authenticated
    return subscription


def _confirm_url(environ: dict) -> tuple[int, str, bytes] | None:
    """SNS's ``SubscribeURL``: a GET with ``Action=ConfirmSubscription`` and no signature."""
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if environ.get("REQUEST_METHOD") != "GET" or query.get("Action") != ["ConfirmSubscription"]:
        return None
    if environ.get("HTTP_AUTHORIZATION"):
        return None  # a signed call: moto's SNS answers it (through the patched action below)
    token, topic_arn = query.get("Token", [""])[0], query.get("TopicArn", [""])[0]
    subscription = _confirm(token, topic_arn, authenticated=False)
    if subscription is None:
        body = (
            "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameter</Code>"
            "<Message>Invalid parameter: Token</Message></Error></ErrorResponse>"
        )
        return 400, "text/xml", body.encode()
    body = (
        '<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">'
        f"<ConfirmSubscriptionResult><SubscriptionArn>{subscription.arn}</SubscriptionArn>"
        f"</ConfirmSubscriptionResult><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId>"
        "</ResponseMetadata></ConfirmSubscriptionResponse>"
    )
    return 200, "text/xml", body.encode()


def _send_confirmation(subscription: Any, host: str) -> None:
    token = secrets.token_hex(32)
    with _lock:
        _tokens[token] = subscription.arn
    topic_arn = subscription.topic.arn
    message_id = str(uuid.uuid4())
    url = f"http://{host}/?Action=ConfirmSubscription&TopicArn={quote(topic_arn)}&Token={token}"
    body = {
        "Type": "SubscriptionConfirmation",
        "MessageId": message_id,
        "Token": token,
        "TopicArn": topic_arn,
        "Message": CONFIRMATION_TEXT.format(arn=topic_arn),
        "SubscribeURL": url,
        "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "SignatureVersion": "2",
        "Signature": "",
        "SigningCertURL": "",
    }
    _post(
        subscription.endpoint,
        body,
        _headers("SubscriptionConfirmation", message_id, topic_arn, subscription.arn),
    )


def apply() -> None:
    from moto.core.responses import ActionResult  # noqa: PLC0415
    from moto.sns.exceptions import SNSInvalidParameter  # noqa: PLC0415
    from moto.sns.models import Subscription  # noqa: PLC0415
    from moto.sns.responses import SNSResponse  # noqa: PLC0415

    from local_aws.patches import emulator_endpoints  # noqa: PLC0415

    emulator_endpoints.add_public(_confirm_url)
    if getattr(SNSResponse.subscribe, "_local_aws", False):
        return
    subscribe, publish = SNSResponse.subscribe, Subscription.publish

    def patched_subscribe(self: SNSResponse) -> Any:
        topic_arn, endpoint = self._get_param("TopicArn"), self._get_param("Endpoint")
        protocol = self._get_param("Protocol")
        existed = self.backend._find_subscription(topic_arn, endpoint, protocol) is not None
        result = subscribe(self)
        subscription = self.backend._find_subscription(topic_arn, endpoint, protocol)
        if not existed and subscription is not None and protocol in CONFIRMING:
            subscription.confirmed = False
            subscription.attributes["PendingConfirmation"] = True
            subscription.attributes["ConfirmationWasAuthenticated"] = False
            if protocol in HTTP:
                _send_confirmation(subscription, self.headers.get("Host", "127.0.0.1"))
        return result

    def patched_confirm(self: SNSResponse) -> Any:
        topic_arn, token = self._get_param("TopicArn"), self._get_param("Token")
        if topic_arn not in self.backend.topics:
            from moto.sns.exceptions import SNSNotFoundError  # noqa: PLC0415

            raise SNSNotFoundError("Topic does not exist")
        subscription = _confirm(token or "", topic_arn, authenticated=True)
        if subscription is None:
            raise SNSInvalidParameter("Invalid parameter: Token")
        return ActionResult({"SubscriptionArn": subscription.arn})

    def patched_publish(
        self: Subscription,
        message: str,
        message_id: str,
        subject: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        if self.protocol not in HTTP:
            if self.protocol in CONFIRMING and _pending(self):
                return  # an email nobody confirmed gets nothing
            return publish(self, message, message_id, subject, *args, **kwargs)
        matcher = self._filter_policy_matcher
        if matcher is not None and not matcher.matches(kwargs.get("message_attributes"), message):
            return
        if _pending(self):
            return  # "doesn't send notifications to this endpoint until the subscription is confirmed"
        if kwargs.get("message_structure") == "json":
            message = self._parse_message_structure(message, self.protocol)
        body = self.get_post_data(message, message_id, subject)
        _post(self.endpoint, body, _headers("Notification", message_id, self.topic.arn, self.arn))

    patched_subscribe._local_aws = True  # type: ignore[attr-defined]
    SNSResponse.subscribe = patched_subscribe
    SNSResponse.confirm_subscription = patched_confirm
    Subscription.publish = patched_publish
