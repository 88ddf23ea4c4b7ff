"""`{% brand_settings as brand %}`: the brand for pages rendered without a request (500, CSRF failure).

Django renders those without context processors; the base template falls back on this tag.
"""

from django import template

from stats.branding import Brand, current_brand

register = template.Library()


@register.simple_tag
def brand_settings() -> Brand:
    return current_brand()
