"""GSM-7 text for SMS: one segment is 160 GSM-7 septets but only 70 UCS-2 characters.

A single character outside GSM-7 (a typographic apostrophe, "ê", an emoji) switches the whole SMS to
UCS-2 and can triple what it costs, so alert bodies are brought down to GSM-7 before sending.
Pure Python, no Django: the fake provider uses it too.
"""

import math
import unicodedata

from unidecode import unidecode

# 3GPP TS 23.038 default alphabet (ESC excluded: it only introduces the extension table).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each costs two septets (ESC + the character).
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

SINGLE_GSM7 = 160
PART_GSM7 = 153  # a multipart SMS spends 7 septets of each part on its header
SINGLE_UCS2 = 70
PART_UCS2 = 67
ELLIPSIS = "..."

# What French text typically holds and GSM-7 lacks, with the closest GSM-7 form. Checked before
# unidecode, which would for instance turn "Ç"-less "ç" right but "«" into "<<".
_REPLACEMENTS = {
    "ç": "c", "â": "a", "ê": "e", "ë": "e", "î": "i", "ï": "i", "ô": "o", "û": "u", "ÿ": "y",
    "À": "A", "Â": "A", "È": "E", "Ê": "E", "Ë": "E", "Î": "I", "Ï": "I", "Ô": "O", "Ù": "U", "Û": "U",
    "Ÿ": "Y", "œ": "oe", "Œ": "OE",
    # Quotes, apostrophes, primes.
    "\u2019": "'", "\u2018": "'", "\u201a": "'", "\u2032": "'", "`": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"', "\u2033": '"',
    # Ellipsis, dashes and hyphens, minus, bullet, middle dot.
    "\u2026": ELLIPSIS, "\u2013": "-", "\u2014": "-", "\u2010": "-", "\u2011": "-", "\u2212": "-",
    "\u2022": "-", "\u00b7": ".",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\u200a": " ", "\t": " ",
    "\u200b": "", "\u200d": "", "\ufe0f": "",
}


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def to_gsm7(text: str) -> str:
    """The text with every character GSM-7 lacks replaced by its closest GSM-7 form (or dropped)."""
    return "".join(_gsm7_char(ch) for ch in unicodedata.normalize("NFC", text))


def _gsm7_char(ch: str) -> str:
    if ch in GSM7_BASIC or ch in GSM7_EXTENSION:
        return ch
    if ch in _REPLACEMENTS:
        return _REPLACEMENTS[ch]
    # Emoji and symbols transliterate to "" or to ASCII; keep only what GSM-7 can carry.
    return "".join(c for c in unidecode(ch) if c in GSM7_BASIC or c in GSM7_EXTENSION)


def septets(text: str) -> int:
    """Length in GSM-7 septets (extension characters count two). Only meaningful when is_gsm7(text)."""
    return sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)


def segments(text: str) -> int:
    """How many SMS parts the text takes, as the carrier counts them."""
    if is_gsm7(text):
        units = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        return _parts(units, SINGLE_GSM7, PART_GSM7)
    # UCS-2 counts UTF-16 code units: an emoji outside the BMP takes two.
    units = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return _parts(units, SINGLE_UCS2, PART_UCS2)


def _parts(units: list[int], single: int, per_part: int) -> int:
    total = sum(units)
    if total <= single:
        return 1
    # An escape pair or a surrogate pair is never split across two parts: fill greedily.
    parts, used = 1, 0
    for size in units:
        if used + size > per_part:
            parts, used = parts + 1, 0
        used += size
    return max(parts, math.ceil(total / per_part))


def fit_one_segment(prefix: str, body: str, max_len: int = SINGLE_GSM7) -> str:
    """prefix + body in GSM-7, the body shortened with "..." so the whole fits max_len septets."""
    prefix, body = to_gsm7(prefix), to_gsm7(body)
    if septets(prefix + body) <= max_len:
        return prefix + body
    room = max_len - septets(prefix) - len(ELLIPSIS)
    if room <= 0:
        return _truncate(prefix, max_len - len(ELLIPSIS)) + ELLIPSIS
    return prefix + _cut_at_word(_truncate(body, room)) + ELLIPSIS


def _truncate(text: str, room: int) -> str:
    kept, used = [], 0
    for ch in text:
        used += 2 if ch in GSM7_EXTENSION else 1
        if used > room:
            break
        kept.append(ch)
    return "".join(kept)


def _cut_at_word(text: str) -> str:
    """Drop a half word at the end, unless that would throw away most of the text."""
    cut = text.rstrip()
    space = cut.rfind(" ")
    if space >= len(cut) * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-")
