"""Append-only, hash-chained audit events (SPEC §3 Audit).

The trail is AUDIT_LANES independent hash chains, "lanes" (ADR 0008): every event belongs
to one lane, gets the next `seq` of that lane, and its hash covers its own fields and the
previous event of the same lane's hash, so editing, removing or reordering any event
breaks its lane's chain from there on. The global order is `id` (insertion order, with
gaps where transactions rolled back). The database refuses UPDATE and DELETE on this
table (see core.append_only).
"""

from django.db import models

from audit.chain import GENESIS_HASH


class AuditEvent(models.Model):
    lane = models.SmallIntegerField()
    seq = models.BigIntegerField()  # within the lane: 1, 2, 3, ...
    occurred_at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)  # unique: see Meta

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        constraints = [
            models.UniqueConstraint(fields=["lane", "seq"], name="audit_event_lane_seq_unique"),
            # Not unique=True, which would add an unused LIKE (varchar_pattern_ops) index.
            models.UniqueConstraint(fields=["hash"], name="audit_auditevent_hash_key"),
        ]

    def __str__(self):
        return f"#{self.id} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """One row per lane: its last sequence number and hash. Locking it serialises the
    lane's appends (only the lane's: transactions on other lanes do not wait).

    `prev_hash` is the hash before the last append (the last event's `prev_hash`): the one
    UPDATE that appends on PostgreSQL moves `hash` into it, so its RETURNING clause hands
    the new event both its link and its own hash (see audit.services). A head's id is its
    lane + 1, always given (migrations 0002 and 0004, audit.services._ensure_heads).
    """

    lane = models.SmallIntegerField(unique=True)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self):
        return f"lane {self.lane} head #{self.seq}"
