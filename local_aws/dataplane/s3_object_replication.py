"""Gap: moto stores S3 replication rules but never replicates an object.

moto 5.2.5 keeps ``PutBucketReplication`` as configuration only: an object written to the
primary receipts bucket never appears in the secondary bucket, so the stack's cross-region
copy of receipts (the point of the rule) cannot be observed locally.

This patch replicates what S3 live replication does, each point after the AWS sentence it
follows:

* which rules: "Amazon S3 will attempt to replicate objects according to all replication
  rules. However, if there are two or more rules with the same destination bucket, then
  objects will be replicated according to the rule with the highest priority." (an object
  gets one replica per destination bucket).  A rule selects by its V1 top-level ``Prefix``
  or its ``Filter`` (``Prefix``, ``Tag``, or ``And`` of both: "The rule applies only to
  objects that have the tag in their tag set."), only while ``Enabled``; an SSE-KMS object
  only with ``SseKmsEncryptedObjects`` enabled ("By default, Amazon S3 doesn't replicate
  objects that are encrypted with SSE-KMS").  Replicas are not replicated again.
* when: once the request that wrote the object has completed (moto's response layer adds
  the object's metadata and tags after storing it), so the rule's tag filter sees the tags.
* what: same key, body, metadata, "Object tags, if there are any.", and the source's
  version id and creation time ("copies of your objects that retain all metadata, such as
  the original object creation time and version IDs"); the rule's ``StorageClass``, else
  the source's ("By default, Amazon S3 uses the storage class of the source object to
  create the object replica."); SSE-KMS with ``ReplicaKmsKeyID``.
* status (``x-amz-replication-status``): ``REPLICA`` on a replica; on the source
  ``PENDING`` while any destination lacks its replica ("The header will remain at value
  PENDING until replication has completed for all destinations."), then ``FAILED`` if one
  destination failed ("If one or more destinations fails replication the header will
  return FAILED."), else ``COMPLETED``.  A destination bucket that does not exist
  (``DstBucketNotFound``) or is not versioning-enabled (``DstBucketUnversioned``: "Both
  source and destination buckets must have versioning enabled.") fails, and gets nothing.
  A deleted destination bucket is read as ``DstBucketNotFound`` (a failure reason, i.e.
  FAILED), not as the temporary "bucket or Region is unavailable" that stays PENDING; the
  unavailable Region is the outage below.  PutBucketReplication itself does not check the
  destination (AWS does not document that it refuses one).
* delete markers: a ``DeleteObject`` without a version id (a delete marker) is replicated,
  with its version id and its ``LastModified`` (undocumented for markers: assumed as for
  objects, so a key read "as at a time" in the destination agrees with the source), by a
  rule with ``DeleteMarkerReplication`` enabled, or by a V1 rule (no ``Filter``): "If you
  don't specify the Filter element, Amazon S3 assumes that the replication configuration is
  version V1, and it replicates delete markers that resulted from user actions."  Deleting
  a specific version never is.
* timing: with both regions up, replication is done before the request returns (S3 RTC
  replicates "most objects in seconds", 99.99 percent within 15 minutes).  While the source
  or the destination region is out (``OUTAGES``, ``make outage-local``), the object stays
  ``PENDING`` ("For temporary failures, such as if a bucket or Region is unavailable,
  replication status will not transition to FAILED, but will remain PENDING.") and its
  replication, like every later one between the two regions, waits; once both are back a
  daemon thread replicates them in the order they were written.  ``pending()`` counts them
  per destination region; ``/moto-api/reset`` drops them.

Not modelled: RTC's 15-minute threshold events, replication metrics and failure events,
replica modification sync, lifecycle-made delete markers, failures other than a missing or
unversioned destination bucket.

AWS: what S3 replication copies (objects, metadata, tags, SSE-KMS with
``SseKmsEncryptedObjects``, delete markers, V1 rules):
https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-what-is-isnot-replicated.html;
SSE-KMS opt-in: https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html;
rules and priority: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ReplicationRule.html,
https://docs.aws.amazon.com/AmazonS3/latest/API/API_ReplicationRuleFilter.html and
https://docs.aws.amazon.com/AmazonS3/latest/API/API_Destination.html (``StorageClass``);
versioning and retained version ids: https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication.html;
status with several destinations: https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html;
PENDING through a Region's unavailability:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-status.html; failure reasons:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-failure-codes.html;
S3 RTC: https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-time-control.html
"""

from __future__ import annotations

import contextlib
import functools
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from moto.s3.models import FakeKey, S3Backend
from moto.s3.responses import S3Response

from local_aws.regions import OUTAGES

OUTAGE_POLL = 0.05  # seconds between looks at OUTAGES while a region holds replication back


def _enabled(block: Any) -> bool:
    return isinstance(block, dict) and block.get("Status") == "Enabled"


def _selects(rule: dict[str, Any], key_name: str, tags: dict[str, str]) -> bool:
    """The rule's filter: a V1 rule's top-level Prefix, or its Filter (Prefix, Tag, And)."""
    if "Filter" not in rule:
        return key_name.startswith(rule.get("Prefix") or "")
    condition = rule["Filter"] or {}
    condition = condition.get("And") or condition
    wanted = condition.get("Tag") or []
    wanted = [wanted] if isinstance(wanted, dict) else wanted
    return key_name.startswith(condition.get("Prefix") or "") and all(
        tags.get(tag["Key"]) == (tag.get("Value") or "") for tag in wanted
    )


def replicates_delete_markers(rule: dict[str, Any]) -> bool:
    """V1 rules (no Filter) do; V2 rules only with DeleteMarkerReplication enabled."""
    return "Filter" not in rule or _enabled(rule.get("DeleteMarkerReplication"))


def matching_rules(
    replication: dict[str, Any] | None, key_name: str, kms_encrypted: bool, tags: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """The enabled rules that replicate ``key_name``: per destination bucket, the one with the
    highest priority."""
    chosen: dict[str, dict[str, Any]] = {}
    for rule in sorted((replication or {}).get("Rule", []), key=lambda r: -int(r.get("Priority") or 0)):
        if rule.get("Status") != "Enabled" or not _selects(rule, key_name, tags or {}):
            continue
        if kms_encrypted and not _enabled(
            (rule.get("SourceSelectionCriteria") or {}).get("SseKmsEncryptedObjects")
        ):
            continue
        chosen.setdefault(_destination_bucket(rule), rule)
    return list(chosen.values())


def _destination_bucket(rule: dict[str, Any]) -> str:
    return rule["Destination"]["Bucket"].split(":::", 1)[-1]


def replication_status(key: Any) -> str | None:
    """REPLICA on a replica; on a source, PENDING while a destination lacks its replica, then
    FAILED if one failed, else COMPLETED; None when no rule replicates the object."""
    states = getattr(key, "replication_states", None)  # {destination bucket: state}
    if not states:
        return getattr(key, "replication_status", None)
    if "PENDING" in states.values():
        return "PENDING"
    return "FAILED" if "FAILED" in states.values() else "COMPLETED"


Route = tuple[int, str, str]  # (id of the S3 backend, source region, destination region)


@dataclass
class Replication:
    """One object (or delete marker) to replicate from ``source`` to ``destination`` region."""

    backend: S3Backend
    source: str
    destination: str
    run: Callable[[], None]


class ReplicationQueue:
    """Per (backend, source, destination) queues, run in order while neither region is out.
    With both up and nothing queued, a replication runs at once, in the caller's request.
    A replication runs outside the lock (a put may notify other services), one per route
    at a time, so the order holds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._queues: dict[Route, deque[Replication]] = {}
        self._busy: set[Route] = set()  # routes with a replication running
        self._thread: threading.Thread | None = None

    def submit(self, replication: Replication) -> None:
        route = (id(replication.backend), replication.source, replication.destination)
        with self._lock:
            if self._queues.get(route) or route in self._busy or not self._open(replication):
                self._queues.setdefault(route, deque()).append(replication)
                self._start()
                self._wake.notify_all()
                return
            self._busy.add(route)
        self._run(route, replication)

    def pending(self) -> dict[str, int]:
        """Replications not yet run, per destination region."""
        with self._lock:
            counts: dict[str, int] = {}
            for (_, _, destination), queue in self._queues.items():
                if queue:
                    counts[destination] = counts.get(destination, 0) + len(queue)
            return counts

    def drop(self, backend: S3Backend) -> None:
        with self._lock:
            for route in [r for r in self._queues if r[0] == id(backend)]:
                del self._queues[route]

    @staticmethod
    def _open(replication: Replication) -> bool:
        return not (OUTAGES.is_down(replication.source) or OUTAGES.is_down(replication.destination))

    def _run(self, route: Route, replication: Replication) -> None:
        try:
            replication.run()
        except Exception as error:  # never let one object stop the queue
            print(f"local_aws: S3 replication failed: {error!r}", file=sys.stderr)
        finally:
            with self._lock:
                self._busy.discard(route)
                if self._queues.get(route):
                    self._wake.notify_all()

    def _next(self) -> tuple[Route, Replication] | None:
        """The first replication that may run now (its route idle, its regions up), taken."""
        for route, queue in list(self._queues.items()):
            if not queue:
                del self._queues[route]
            elif route not in self._busy and self._open(queue[0]):
                self._busy.add(route)
                replication = queue.popleft()
                if not queue:
                    del self._queues[route]
                return route, replication
        return None

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name="s3-replication", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._lock:
                job = self._next()
                while job is None:  # idle, or waiting for a region (or a running replication)
                    self._wake.wait(OUTAGE_POLL if self._queues else None)
                    job = self._next()
            self._run(*job)


QUEUE = ReplicationQueue()


def pending() -> dict[str, int]:
    """Objects (and delete markers) not yet replicated, per destination region."""
    return QUEUE.pending()


def _region(backend: S3Backend, bucket_name: str) -> str | None:
    bucket = backend.buckets.get(bucket_name)
    return bucket.region_name if bucket is not None else None


_request = threading.local()


@contextlib.contextmanager
def _one_request() -> Iterator[None]:
    """An S3 request: the replications it starts begin once it has completed."""
    if getattr(_request, "started", None) is not None:  # nested: the outer request's
        yield
        return
    _request.started = []
    try:
        yield
    finally:
        started, _request.started = _request.started, None
        for start in started:
            start()


def _after_request(start: Callable[[], None]) -> None:
    started = getattr(_request, "started", None)
    if started is None:  # not in a request (a direct backend call): at once
        start()
    else:
        started.append(start)


def _replicate_object(
    put_object: Callable[..., FakeKey], backend: S3Backend, key: FakeKey, value: bytes, rule: dict[str, Any]
) -> None:
    """Write the replica of ``key`` (``put_object``: the unpatched write, so replicas are not
    replicated again), or mark the destination FAILED."""
    name = _destination_bucket(rule)
    target = backend.buckets.get(name)
    if target is None or not target.is_versioned:  # DstBucketNotFound, DstBucketUnversioned
        key.replication_states[name] = "FAILED"
        return
    destination = rule["Destination"]
    replica_key_id = (destination.get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID")
    replica = put_object(
        backend,
        name,
        key.name,
        value,
        storage=destination.get("StorageClass") or key.storage_class,
        encryption="aws:kms" if replica_key_id else None,
        kms_key_id=replica_key_id,
    )
    replica._version_id, replica.last_modified = key.version_id, key.last_modified
    replica.set_metadata(dict(key.metadata))
    backend.tagger.copy_tags(key.arn, replica.arn)
    replica.replication_status = "REPLICA"
    key.replication_states[name] = "COMPLETED"


def _replicate_delete_marker(
    delete_object: Callable[..., Any],
    backend: S3Backend,
    bucket_name: str,
    key_name: str,
    marker: Any,
) -> None:
    target = backend.buckets.get(bucket_name)
    if target is None or not target.is_versioned:  # DstBucketNotFound, DstBucketUnversioned
        return
    if delete_object(backend, bucket_name, key_name)[0]:
        replica = target.keys[key_name]
        replica._version_id = marker.version_id  # the marker keeps its version id
        replica.last_modified = marker.last_modified  # and its time, however late it arrives


def _submit(backend: S3Backend, source_bucket: Any, rule: dict[str, Any], run: Callable[[], None]) -> None:
    source = source_bucket.region_name
    destination = _region(backend, _destination_bucket(rule)) or source
    QUEUE.submit(Replication(backend, source, destination, run))


def _in_one_request(respond: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(respond)
    def response(self: S3Response, *args: Any, **kwargs: Any) -> Any:
        with _one_request():
            return respond(self, *args, **kwargs)

    return response


def apply() -> None:
    put_object = S3Backend.put_object
    delete_object = S3Backend.delete_object
    reset = S3Backend.reset
    response_dict = FakeKey.response_dict

    @functools.wraps(put_object)
    def put_and_replicate(
        self: S3Backend, bucket_name: str, key_name: str, value: bytes, *args, **kwargs
    ) -> FakeKey:
        key = put_object(self, bucket_name, key_name, value, *args, **kwargs)
        bucket = self.get_bucket(bucket_name)

        def start() -> None:
            tags = self.tagger.get_tag_dict_for_resource(key.arn)
            rules = matching_rules(
                getattr(bucket, "replication", None), key_name, key.encryption == "aws:kms", tags
            )
            key.replication_states = {_destination_bucket(rule): "PENDING" for rule in rules}
            for rule in rules:
                _submit(
                    self,
                    bucket,
                    rule,
                    functools.partial(_replicate_object, put_object, self, key, value, rule),
                )

        _after_request(start)
        return key

    @functools.wraps(delete_object)
    def delete_and_replicate(
        self: S3Backend, bucket_name: str, key_name: str, version_id: str | None = None, bypass: bool = False
    ) -> Any:
        deleted, meta = result = delete_object(self, bucket_name, key_name, version_id, bypass)
        marker_id = meta.get("version-id") if deleted and version_id is None else None
        if marker_id:  # a delete marker; deleting a version is never replicated
            bucket = self.get_bucket(bucket_name)
            marker = next(v for v in bucket.keys.getlist(key_name, []) if str(v.version_id) == marker_id)
            for rule in matching_rules(getattr(bucket, "replication", None), key_name, False):
                if replicates_delete_markers(rule):
                    name = _destination_bucket(rule)
                    run = functools.partial(
                        _replicate_delete_marker, delete_object, self, name, key_name, marker
                    )
                    _submit(self, bucket, rule, run)
        return result

    @functools.wraps(reset)
    def reset_and_drop(self: S3Backend) -> None:
        QUEUE.drop(self)  # /moto-api/reset: nothing left in flight
        reset(self)

    def response_with_status(self: FakeKey) -> dict[str, Any]:
        response = response_dict.fget(self)
        status = replication_status(self)
        if status:
            response["x-amz-replication-status"] = status
        return response

    S3Backend.put_object = put_and_replicate  # type: ignore[method-assign]
    S3Backend.delete_object = delete_and_replicate  # type: ignore[method-assign]
    S3Backend.reset = reset_and_drop  # type: ignore[method-assign]
    S3Response.key_response = _in_one_request(S3Response.key_response)  # type: ignore[method-assign]
    S3Response.bucket_response = _in_one_request(S3Response.bucket_response)  # type: ignore[method-assign]
    FakeKey.response_dict = property(response_with_status)  # type: ignore[assignment]
