from typing import Any

from django import template

from desk.nav import desk_links

register = template.Library()


@register.inclusion_tag("desk/_nav.html", takes_context=True)
def desk_nav(context: dict[str, Any], commune: Any) -> dict[str, Any]:
    request = context["request"]
    mayor, delegated = bool(getattr(request, "desk_mayor", False)), bool(getattr(request, "desk_delegated", False))
    return {"commune": commune, "links": desk_links(commune.insee, request.path, mayor=mayor, delegated=delegated)}
