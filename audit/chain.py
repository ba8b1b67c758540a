"""The hash function of the chain: one definition used to write and to verify."""

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder

GENESIS_HASH = "0" * 64


def canonical(value):
    """JSON-normalise a value (dates, UUIDs, Decimals -> strings) as it will be stored."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def event_hash(*, seq, occurred_at, actor_id, actor, action, object_type, object_id,
               before, after, prev_hash) -> str:
    payload = json.dumps(
        {
            "seq": seq,
            "occurred_at": occurred_at.isoformat(timespec="microseconds"),
            "actor_id": actor_id,
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "before": before,
            "after": after,
            "prev_hash": prev_hash,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()
