"""Gap: moto crashes on every write to a table whose stream was disabled.

moto 5.2.5 ``UpdateTable`` with ``StreamSpecification: {StreamEnabled: false}`` keeps the
table's stream shard but sets the specification to ``{StreamEnabled: false}``; the next
PutItem/UpdateItem/DeleteItem still appends a record to the shard, which reads
``StreamViewType`` from the specification and fails with ``KeyError: 'StreamViewType'``
(HTTP 501 through the fail-fast patch), so the table takes no more writes.

AWS: "If you disable a stream, any shards that are open will be closed. The data in the
stream will continue to be readable for 24 hours." The patch closes the shard to new
records while the table's stream is disabled; the records it holds stay readable.

Not modelled: the 24-hour expiry of the closed shard's records, and re-enabling a disabled
stream (moto still answers that the stream is already enabled).

AWS: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html
"""

from __future__ import annotations

import functools

from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import StreamShard


def apply() -> None:
    add = StreamShard.add

    @functools.wraps(add)
    def add_while_enabled(self: StreamShard, old: Item | None, new: Item | None) -> None:
        if (self.table.stream_specification or {}).get("StreamEnabled"):
            add(self, old, new)

    StreamShard.add = add_while_enabled  # type: ignore[method-assign]
