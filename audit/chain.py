"""The hash function of the chain: one definition used to write and to verify.

An event's hash is sha256 of its canonical JSON text: the fields below as one object,
keys sorted, no spaces, non-ASCII kept as is. Sorted, `prev_hash` and `seq` are the last
two keys, so the text of an event is

    hash_prefix(<the other fields>) + <prev_hash> + '","seq":' + <seq> + '}'

`audit_record` on PostgreSQL sends the prefix and lets the database append the previous
hash and the next sequence number that the event's lane's head row holds under lock, and
hash the whole (`finish_hash` is the same computation in Python). `audit_verify`
recomputes `event_hash`: both must give the same text, byte for byte, and tests/audit
checks that they do.
"""

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder

GENESIS_HASH = "0" * 64

# The trail is this many independent chains ("lanes", ADR 0008). An event's lane is not in
# its hash: `seq` and `prev_hash` already fix its place in its lane. Changing the number
# means a migration that creates (or retires) head rows.
AUDIT_LANES = 16

# The end of the canonical text, after the prefix: the previous hash, then the sequence.
_TAIL_START = '"prev_hash":"'


def canonical(value):
    """JSON-normalise a value (dates, UUIDs, Decimals -> strings) as it will be stored."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _canonical_text(*, seq, occurred_at, actor_id, actor, action, object_type, object_id,
                    before, after, prev_hash) -> str:
    return json.dumps(
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


def event_hash(*, seq, occurred_at, actor_id, actor, action, object_type, object_id,
               before, after, prev_hash) -> str:
    text = _canonical_text(
        seq=seq, occurred_at=occurred_at, actor_id=actor_id, actor=actor, action=action,
        object_type=object_type, object_id=object_id, before=before, after=after,
        prev_hash=prev_hash,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def hash_prefix(*, occurred_at, actor_id, actor, action, object_type, object_id, before,
                after) -> str:
    """The canonical text of an event up to and including `"prev_hash":"`."""
    text = _canonical_text(
        seq=0, occurred_at=occurred_at, actor_id=actor_id, actor=actor, action=action,
        object_type=object_type, object_id=object_id, before=before, after=after,
        prev_hash="",
    )
    tail = _TAIL_START + '","seq":0}'
    if not text.endswith(tail):  # only if a field sorting after "seq" were ever added
        raise AssertionError("prev_hash and seq must be the last keys of the canonical text")
    return text[: -len(tail)] + _TAIL_START


def finish_hash(prefix: str, prev_hash: str, seq: int) -> str:
    """What PostgreSQL computes in `audit_record`: the hash of prefix + prev_hash + seq."""
    return hashlib.sha256(f'{prefix}{prev_hash}","seq":{seq}}}'.encode()).hexdigest()
