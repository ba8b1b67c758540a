"""Serializers whose fields are built once per process, not once per request.

DRF builds a serializer's fields for every new serializer instance (ModelSerializer's
get_fields: build_field for each model field, then a deepcopy of the declared ones):
`ClaimOutput(claim).data` spent most of its time there, about a fifth of a claim action's
CPU. `represent(ClaimOutput, claim)` gives the same dict from one unbound instance per class,
built on first use; `validated(ReasonInput, request.data)` checks input the same way.

Only for serializers whose work depends on the object or data alone: nothing that reads
`self.context` (request, view, format), `self.instance` or `self.initial_data`, no
HyperlinkedRelatedField / HyperlinkedIdentityField (they need the request), no fields chosen
per call. One instance serves every request of the process and is never given data,
an instance or a context.
"""

import threading
from collections.abc import Iterable

from rest_framework.exceptions import ValidationError
from rest_framework.relations import HyperlinkedRelatedField, ManyRelatedField
from rest_framework.serializers import BaseSerializer, ListSerializer, Serializer

_shared: dict[type[BaseSerializer], BaseSerializer] = {}
_building = threading.Lock()


def _build(field) -> None:
    """Build the fields of a serializer and of every serializer nested in it, now.

    DRF builds a nested serializer's fields on its first use; building them here, before
    the instance is shared, leaves the threads of a threaded worker only reading it.
    """
    if isinstance(field, ListSerializer):
        _build(field.child)
    elif isinstance(field, ManyRelatedField):
        _build(field.child_relation)
    elif isinstance(field, HyperlinkedRelatedField):
        raise TypeError(f"{field.field_name}: a hyperlinked field needs the request's context")
    elif isinstance(field, Serializer):
        for child in field.fields.values():
            _build(child)


def _instance(serializer_class: type[BaseSerializer]) -> BaseSerializer:
    serializer = _shared.get(serializer_class)
    if serializer is None:
        with _building:
            serializer = _shared.get(serializer_class)
            if serializer is None:
                serializer = serializer_class()
                _build(serializer)
                _shared[serializer_class] = serializer
    return serializer


# Thread safety: to_representation reads the serializer and its fields and writes to
# neither (DRF 3.x), and every field is built before the instance is shared (above).


def represent(serializer_class: type[BaseSerializer], instance) -> dict:
    """`serializer_class(instance).data`, as a plain dict, without building the fields."""
    return _instance(serializer_class).to_representation(instance)


def represent_many(serializer_class: type[BaseSerializer], instances: Iterable) -> list[dict]:
    """`[serializer_class(i).data for i in instances]`, with the fields built once."""
    serializer = _instance(serializer_class)
    return [serializer.to_representation(instance) for instance in instances]


def validated(serializer_class: type[BaseSerializer], data) -> dict:
    """`s = serializer_class(data=data); s.is_valid(raise_exception=True); s.validated_data`
    without building the fields. Invalid data goes through exactly that path, so the error
    (its shape, DRF's "No data provided" case) is DRF's own."""
    try:
        return _instance(serializer_class).run_validation(data)
    except ValidationError:
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        raise  # unreachable unless the two disagree; then the first error stands
