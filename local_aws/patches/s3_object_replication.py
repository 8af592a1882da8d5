"""Gap: moto stores S3 replication rules but never replicates an object.

moto 5.2.5 keeps ``PutBucketReplication`` as configuration only: an object written to the
primary receipts bucket never appears in the secondary bucket, so the stack's cross-region
copy of receipts (the point of the rule) cannot be observed locally.

This patch replicates what S3 replication (V2 rules) does for this stack:

* ``PutObject`` into a bucket whose enabled rule matches the key (``Filter.Prefix``, the
  highest ``Priority`` wins) writes a replica into the destination bucket: same key, body
  and metadata, the rule's ``StorageClass``, and SSE-KMS with ``ReplicaKmsKeyID``. An
  SSE-KMS source object replicates only when ``SseKmsEncryptedObjects`` is enabled, as on
  AWS. HEAD/GET report ``x-amz-replication-status`` (``PENDING`` until the replica is
  written, then ``COMPLETED`` on the source; ``REPLICA`` on the copy; ``FAILED`` when the
  destination bucket is gone); replicas are not replicated again.
* ``DeleteObject`` without a version id (a delete marker) is replicated when the rule has
  ``DeleteMarkerReplication`` enabled; deleting a specific version never is, as on AWS.
* with both regions up, replication is done before the request returns (S3 RTC replicates
  "most objects in seconds", 99.99 percent within 15 minutes).  While the source or the
  destination region is out (``OUTAGES``, ``make outage-local``), the object stays
  ``PENDING`` (a Region being unavailable is a temporary failure: the status does not
  become ``FAILED``) and its replication, like every later one between the two regions,
  waits; once both are back a daemon thread replicates them in the order they were
  written.  ``pending()`` counts them per destination region; ``/moto-api/reset`` drops them.

Not modelled: RTC's 15-minute threshold events, replication metrics, copies/multipart
uploads, failures other than a missing destination bucket.

AWS: what S3 replication copies (objects, metadata, SSE-KMS with ``SseKmsEncryptedObjects``,
delete markers) and rule priority:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-what-is-isnot-replicated.html
and https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-add-config.html;
replication status (PENDING, COMPLETED, FAILED, REPLICA; PENDING through a Region's
unavailability): https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-status.html;
S3 RTC: https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-time-control.html
"""

from __future__ import annotations

import contextlib
import functools
import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.s3.exceptions import MissingBucket
from moto.s3.models import FakeKey, S3Backend

from local_aws.dataplane.regions import OUTAGES

OUTAGE_POLL = 0.05  # seconds between looks at OUTAGES while a region holds replication back


def _enabled(block: Any) -> bool:
    return isinstance(block, dict) and block.get("Status") == "Enabled"


def matching_rule(replication: dict[str, Any] | None, key_name: str, kms_encrypted: bool) -> dict | None:
    """The enabled rule that replicates ``key_name`` (highest priority first), if any."""
    if not replication:
        return None
    for rule in sorted(replication["Rule"], key=lambda r: -int(r.get("Priority") or 0)):
        prefix = (rule.get("Filter") or {}).get("Prefix", rule.get("Prefix")) or ""
        if rule.get("Status") != "Enabled" or not key_name.startswith(prefix):
            continue
        if kms_encrypted and not _enabled(
            (rule.get("SourceSelectionCriteria") or {}).get("SseKmsEncryptedObjects")
        ):
            continue
        return rule
    return None


def _destination_bucket(rule: dict[str, Any]) -> str:
    return rule["Destination"]["Bucket"].split(":::", 1)[-1]


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


def apply() -> None:
    put_object = S3Backend.put_object
    delete_object = S3Backend.delete_object
    reset = S3Backend.reset
    response_dict = FakeKey.response_dict

    def replicate_object(backend: S3Backend, key: FakeKey, value: bytes, rule: dict[str, Any]) -> None:
        destination = rule["Destination"]
        replica_key_id = (destination.get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID")
        try:
            replica = put_object(  # the unpatched write: replicas are not replicated again
                backend,
                _destination_bucket(rule),
                key.name,
                value,
                storage=destination.get("StorageClass"),
                encryption="aws:kms" if replica_key_id else None,
                kms_key_id=replica_key_id,
            )
        except MissingBucket:  # AWS: DstBucketNotFound, the object's replication FAILED
            key.replication_status = "FAILED"
            return
        replica._metadata = key._metadata  # the response layer sets metadata after the put
        key.replication_status, replica.replication_status = "COMPLETED", "REPLICA"

    def replicate_delete_marker(backend: S3Backend, bucket_name: str, key_name: str) -> None:
        with contextlib.suppress(MissingBucket):
            delete_object(backend, bucket_name, key_name)

    def route(backend: S3Backend, source_bucket: Any, rule: dict[str, Any]) -> tuple[str, str]:
        source = source_bucket.region_name
        return source, _region(backend, _destination_bucket(rule)) or source

    @functools.wraps(put_object)
    def put_and_replicate(
        self: S3Backend, bucket_name: str, key_name: str, value: bytes, *args, **kwargs
    ) -> FakeKey:
        key = put_object(self, bucket_name, key_name, value, *args, **kwargs)
        bucket = self.get_bucket(bucket_name)
        rule = matching_rule(getattr(bucket, "replication", None), key_name, key.encryption == "aws:kms")
        if rule is None:
            return key
        key.replication_status = "PENDING"
        source, destination = route(self, bucket, rule)
        run = functools.partial(replicate_object, self, key, value, rule)
        QUEUE.submit(Replication(self, source, destination, run))
        return key

    @functools.wraps(delete_object)
    def delete_and_replicate(
        self: S3Backend, bucket_name: str, key_name: str, version_id: str | None = None, bypass: bool = False
    ) -> Any:
        result = delete_object(self, bucket_name, key_name, version_id, bypass)
        bucket = self.get_bucket(bucket_name)
        rule = matching_rule(getattr(bucket, "replication", None), key_name, False)
        if version_id is None and rule is not None and _enabled(rule.get("DeleteMarkerReplication")):
            source, destination = route(self, bucket, rule)
            run = functools.partial(replicate_delete_marker, self, _destination_bucket(rule), key_name)
            QUEUE.submit(Replication(self, source, destination, run))
        return result

    @functools.wraps(reset)
    def reset_and_drop(self: S3Backend) -> None:
        QUEUE.drop(self)  # /moto-api/reset: nothing left in flight
        reset(self)

    def response_with_status(self: FakeKey) -> dict[str, Any]:
        response = response_dict.fget(self)
        status = getattr(self, "replication_status", None)
        if status:
            response["x-amz-replication-status"] = status
        return response

    S3Backend.put_object = put_and_replicate  # type: ignore[method-assign]
    S3Backend.delete_object = delete_and_replicate  # type: ignore[method-assign]
    S3Backend.reset = reset_and_drop  # type: ignore[method-assign]
    FakeKey.response_dict = property(response_with_status)  # type: ignore[assignment]
