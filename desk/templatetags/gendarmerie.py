from typing import Any

from django import template

from desk.gendarmerie import opens_gendarmerie as _opens_gendarmerie

register = template.Library()


@register.filter
def opens_gendarmerie(user: Any) -> bool:
    """For the menus: whether the gendarmerie's pages are the user's (a gendarme, staff)."""
    return _opens_gendarmerie(user)
