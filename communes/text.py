"""Normalising French place names for search: accents, case, hyphens and 'St'/'Ste' do not matter."""

import re
from dataclasses import dataclass

from unidecode import unidecode

_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalize_name(text: str) -> str:
    """`Saint-Paul-de-Vence`, `ST PAUL DE VENCE` and `saint paul de vence` give the same key."""
    words = _NON_ALNUM.sub(" ", unidecode(text).lower()).split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


# A whole search that is a département's code: `06`, `2A`, `974`.
_DEPARTEMENT = re.compile(r"^(?:[0-9]{2,3}|2a|2b)$")
# A 5-digit word is a postal code (`06570`), never part of a name.
_POSTAL_CODE = re.compile(r"^[0-9]{5}$")


@dataclass(frozen=True)
class SearchTerms:
    words: tuple[str, ...] = ()
    postal_codes: tuple[str, ...] = ()
    departement: str = ""


def search_terms(text: str) -> SearchTerms:
    """`st paul vence` → words (saint, paul, vence); `06570` → a postal code; `2a` alone → département 2A."""
    tokens = normalize_name(text).split()
    if len(tokens) == 1 and _DEPARTEMENT.match(tokens[0]):
        return SearchTerms(departement=tokens[0].upper())
    postal_codes = tuple(dict.fromkeys(token for token in tokens if _POSTAL_CODE.match(token)))
    words = tuple(dict.fromkeys(token for token in tokens if not _POSTAL_CODE.match(token)))
    return SearchTerms(words=words, postal_codes=postal_codes)
