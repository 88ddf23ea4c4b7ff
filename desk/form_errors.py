"""DRF's errors (a serializer's, or a service's ValidationError) as the desk's forms show them: by field."""

from collections.abc import Collection, Mapping
from typing import Any

OTHER = "non_field_errors"


def add_drf_errors(errors: dict[str, list[str]], detail: Any, fields: Collection[str] | None = None) -> None:
    """Adds `detail` to `errors` by field; a field the form does not show (not in `fields`, when given) goes with
    the errors that belong to no field."""
    items = detail.items() if isinstance(detail, Mapping) else [(OTHER, detail)]
    for name, messages in items:
        key = name if fields is None or name in fields else OTHER
        errors.setdefault(key, []).extend(flat_messages(messages))


def flat_messages(detail: Any) -> list[str]:
    """A list field's errors come keyed by item ({0: [...]}): every message, once each, in order."""
    if isinstance(detail, Mapping):
        detail = list(detail.values())
    if isinstance(detail, list | tuple):
        return list(dict.fromkeys(message for item in detail for message in flat_messages(item)))
    return [str(detail)]
