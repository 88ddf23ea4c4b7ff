"""Inserting history in bulk with the dates it happened at."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


@contextmanager
def dates_as_given(model: type[models.Model]) -> Iterator[None]:
    """Within this block, the model's auto_now / auto_now_add fields keep the value set on each object.

    bulk_create stamps them with the present, and some cannot be corrected afterwards (the audit log refuses
    UPDATE on PostgreSQL). The fields are shared by the whole process: seed_demo runs alone in its own.
    """
    stamped = [
        field for field in model._meta.concrete_fields
        if isinstance(field, models.DateField) and (field.auto_now or field.auto_now_add)
    ]  # fmt: skip
    saved = [(field, field.auto_now, field.auto_now_add) for field in stamped]
    for field in stamped:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def insert(model: type[M], objects: Sequence[M]) -> list[M]:
    """bulk_create keeping every date as set (primary keys are filled in on PostgreSQL and SQLite ≥ 3.35)."""
    with dates_as_given(model):
        return model._default_manager.bulk_create(objects, batch_size=500)
