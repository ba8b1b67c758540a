"""Append-only, hash-chained audit events (SPEC §3 Audit).

Each event's hash covers its own fields and the previous event's hash, so editing,
removing or reordering any event breaks every hash after it. The database refuses
UPDATE and DELETE on this table (see core.append_only).
"""

from django.db import models

from audit.chain import GENESIS_HASH


class AuditEvent(models.Model):
    seq = models.BigIntegerField(unique=True)
    occurred_at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """One row: the last sequence number and hash. Locking it serialises appends.

    `prev_hash` is the hash before the last append (the last event's `prev_hash`): the one
    UPDATE that appends on PostgreSQL moves `hash` into it, so its RETURNING clause hands
    the new event both its link and its own hash (see audit.services).
    """

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self):
        return f"head #{self.seq}"
