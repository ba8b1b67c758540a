"""The voucher hot path's reads and row locks, written in SQL (ADR 0009).

A few fixed queries run on every submission, confirmation, approval and issuance; composing
them through the ORM cost more CPU than PostgreSQL spent answering them, so they are SQL
built once from `Model._meta` (core.rows) and return ordinary model instances. They live
here, one module per service module, so that a service reads as its rules: it asks for
"the claim, locked" or "the group's issued total", and never sees a cursor.
"""
