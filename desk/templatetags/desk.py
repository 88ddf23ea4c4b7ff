from typing import Any

from django import template

from desk.nav import desk_links, territory_links

register = template.Library()


@register.inclusion_tag("desk/_nav.html", takes_context=True)
def desk_nav(context: dict[str, Any], commune: Any) -> dict[str, Any]:
    request = context["request"]
    mayor, delegated = bool(getattr(request, "desk_mayor", False)), bool(getattr(request, "desk_delegated", False))
    return {"commune": commune, "links": desk_links(commune.insee, request.path, mayor=mayor, delegated=delegated)}


@register.inclusion_tag("desk/_territory_nav.html", takes_context=True)
def territory_nav(context: dict[str, Any], territory: Any) -> dict[str, Any]:
    """The menu of a territory's pages (`territory` a communes.territories.Territory)."""
    links = territory_links(territory.kind, territory.code, context["request"].path)
    return {"territory": territory, "links": links}
