"""How many segments Twilio bills for a body (NumSegments), written apart from providers.gsm on purpose:
the fake checks the service's own GSM-7 handling, so it must not reuse it (3GPP TS 23.038)."""

import math

_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_EXTENSION = frozenset("^{}\\[~]|€\f")  # two septets each (escape + character)


def segments(body: str) -> int:
    if all(ch in _BASIC or ch in _EXTENSION for ch in body):
        septets = sum(2 if ch in _EXTENSION else 1 for ch in body)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    units = len(body.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)
