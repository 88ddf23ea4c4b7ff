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
# A 5-character word is a postal code (`06570`) or an INSEE code (`06128`, `2A004`), never part of a name.
_CODE = re.compile(r"^(?:[0-9]{2}|2a|2b)[0-9]{3}$")


@dataclass(frozen=True)
class SearchTerms:
    words: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    departement: str = ""

    @property
    def phrase(self) -> str:
        return " ".join(self.words)


def search_terms(text: str) -> SearchTerms:
    """`st paul vence` → words (saint, paul, vence); `06570` → a code; `2a` alone → département 2A."""
    tokens = normalize_name(text).split()
    if len(tokens) == 1 and _DEPARTEMENT.match(tokens[0]):
        return SearchTerms(departement=tokens[0].upper())
    codes = tuple(dict.fromkeys(token.upper() for token in tokens if _CODE.match(token)))
    words = tuple(dict.fromkeys(token for token in tokens if not _CODE.match(token)))
    return SearchTerms(words=words, codes=codes)
