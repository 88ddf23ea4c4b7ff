"""Each deployment's own brand on the dashboards: its name, who runs it, its colour, logo and legal notice.

The pages are run by communes, intercommunalities or associations: they show the operator's brand and a
neutral look, never the State's design system or identity, which are reserved to the State's own services
(circulaire 6411-SG of 7 July 2023). Everything comes from the BRAND_* settings (read from the environment).

Colours reach the pages through one stylesheet built here and served at /dashboard/brand.css, so that a
Content-Security-Policy without 'unsafe-inline' holds: no style attribute, no inline <style>.
"""

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest

DEFAULT_PRIMARY = "#0d6e6e"  # a neutral teal, 6:1 on white
HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")
TEXT_CONTRAST = 4.5  # WCAG / RGAA AA for normal text, on white
RGB = tuple[float, float, float]


@dataclass(frozen=True)
class Brand:
    name: str
    operator: str
    primary: str  # as configured, #rrggbb
    text: str  # the primary colour, darkened if needed to read at 4.5:1 on white: links, buttons, figures
    hover: str
    logo_url: str
    legal_url: str
    legal_text: str

    @property
    def version(self) -> str:
        """Changes with the colours: the stylesheet's URL carries it, so a new brand is fetched at once."""
        return hashlib.sha256(brand_css(self).encode()).hexdigest()[:10]


def current_brand() -> Brand:
    primary = normalise_colour(settings.BRAND_PRIMARY_COLOR or DEFAULT_PRIMARY)
    text = readable_on_white(primary)
    return Brand(
        name=settings.BRAND_NAME or "Vigilants",
        operator=settings.BRAND_OPERATOR,
        primary=primary,
        text=text,
        hover=mix(text, (0, 0, 0), 0.2),
        logo_url=settings.BRAND_LOGO_URL,
        legal_url=settings.BRAND_LEGAL_URL,
        legal_text=settings.BRAND_LEGAL_TEXT,
    )


def brand(request: HttpRequest) -> dict[str, Any]:
    """Context processor: `brand` in every template rendered with a request."""
    return {"brand": current_brand()}


def normalise_colour(value: str) -> str:
    """`#rgb` or `#rrggbb`, as lower-case `#rrggbb`; anything else is the default (settings refuse it at start)."""
    value = value.strip()
    if not HEX_COLOUR.fullmatch(value):
        return DEFAULT_PRIMARY
    digits = value[1:].lower()
    return "#" + ("".join(c * 2 for c in digits) if len(digits) == 3 else digits)


def _rgb(colour: str) -> RGB:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def _hex(rgb: RGB) -> str:
    return "#" + "".join(f"{round(channel):02x}" for channel in rgb)


def _luminance(colour: str) -> float:
    def linear(channel: float) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_on_white(colour: str) -> float:
    return 1.05 / (_luminance(colour) + 0.05)


def mix(colour: str, other: RGB, share: float) -> str:
    return _hex(tuple(a + (b - a) * share for a, b in zip(_rgb(colour), other, strict=True)))  # type: ignore[arg-type]


@lru_cache(maxsize=32)
def readable_on_white(colour: str) -> str:
    """The colour itself when it reads on white; else darkened, keeping its hue, until it does (AA)."""
    darker = colour
    for step in range(1, 21):
        if contrast_on_white(darker) >= TEXT_CONTRAST:
            return darker
        darker = mix(colour, (0, 0, 0), step * 0.05)
    return darker


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = _rgb(colour)
    return f"rgba({r}, {g}, {b}, {alpha})"


def brand_css(brand: Brand) -> str:
    """The stylesheet of the brand's colours: Pico's primary variables and ours (see dashboard/dashboard.css)."""
    text, hover = brand.text, brand.hover
    variables = {
        "--brand-primary": brand.primary,
        "--brand-text": text,
        "--brand-hover": hover,
        "--brand-tint": mix(brand.primary, (255, 255, 255), 0.9),
        "--pico-primary": text,
        "--pico-primary-background": text,
        "--pico-primary-border": text,
        "--pico-primary-underline": _rgba(text, 0.5),
        "--pico-primary-hover": hover,
        "--pico-primary-hover-background": hover,
        "--pico-primary-hover-border": hover,
        "--pico-primary-hover-underline": hover,
        "--pico-primary-focus": _rgba(text, 0.35),
        "--pico-primary-inverse": "#fff",
        "--pico-text-selection-color": _rgba(text, 0.2),
    }
    body = "".join(f"  {name}: {value};\n" for name, value in variables.items())
    # Same selectors as Pico's light scheme, loaded after it: these win.
    return f"/* Brand colours (BRAND_PRIMARY_COLOR). */\n:root:not([data-theme=dark]),\n[data-theme=light] {{\n{body}}}\n"
