"""Normalising French place names for search: accents, case, hyphens and 'St'/'Ste' do not matter."""

import re

from unidecode import unidecode

_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalize_name(text: str) -> str:
    """`Saint-Paul-de-Vence`, `ST PAUL DE VENCE` and `saint paul de vence` give the same key."""
    words = _NON_ALNUM.sub(" ", unidecode(text).lower()).split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)
