"""`route()`: one URL pattern that matches with or without its trailing slash."""

import re
from collections.abc import Callable
from typing import Any

from django.urls import URLPattern, re_path


def route(pattern: str, view: Callable[..., Any], name: str | None = None) -> URLPattern:
    """`route("alerts/<int:pk>/approve", view)` answers `/alerts/1/approve` and `/alerts/1/approve/`."""
    regex = "^" + _to_regex(pattern.strip("/")) + "/?$"
    return re_path(regex, view, name=name)


_CONVERTERS = {"int": r"[0-9]+", "str": r"[^/]+", "insee": r"[0-9][0-9AB][0-9]{3}"}
_INSEE = re.compile(_CONVERTERS["insee"])


def is_insee(value: str) -> bool:
    """Shaped as an INSEE code, as the routes' `<insee:…>` accepts it."""
    return _INSEE.fullmatch(value) is not None


def _to_regex(pattern: str) -> str:
    out, rest = [], pattern
    while "<" in rest:
        head, _, tail = rest.partition("<")
        spec, _, rest = tail.partition(">")
        conv, _, name = spec.partition(":") if ":" in spec else ("str", "", spec)
        out.append(head)
        out.append(f"(?P<{name}>{_CONVERTERS[conv]})")
    out.append(rest)
    return "".join(out)
