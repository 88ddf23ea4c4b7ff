"""Behaviour, not appearance: descriptions must not name ethnicity, religion, nationality, health or
sexual orientation (RGPD art. 9 data; the CNIL and the press have criticised such schemes for it).

One list, French first, matched on a normalised text (no accents, lower case) with word boundaries.
Each entry is a regular expression on that text; plurals and feminines are written into it.
Words that are also ordinary vocabulary here ("noir", "blanc": a car's colour) are only matched in
phrases that describe a person.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from unidecode import unidecode

_PERSON = r"(?:homme|femme|individu|type|jeune|personne|gars|mec|garcon|fille|gens)s?"

TERMS: dict[str, list[str]] = {
    "origine": [
        r"arabes?", r"maghrebin(?:e|s|es)?", r"nord[ -]?africain(?:e|s|es)?", r"africain(?:e|s|es)?",
        r"subsaharien(?:ne|s|nes)?", r"asiatiques?", r"chinois(?:e|es)?", r"rebeus?", r"beurs?", r"renois?",
        r"blacks?", r"basane(?:e|s|es)?", r"type(?:e|s|es)? (?:maghrebin|africain|europeen|asiatique|mediterraneen|arabe)\w*",
        r"gitan(?:e|s|es)?", r"roms?", r"manouches?", r"tziganes?", r"bohemien(?:ne|s|nes)?", r"romanichel(?:le|s|les)?",
        r"gens du voyage", r"de couleur", r"peau (?:noire|blanche|mate|foncee|claire)",
        rf"{_PERSON} (?:noir|noire|noirs|noires|blanc|blanche|blancs|blanches|metisse?s?)",
        r"ethnie", r"ethniques?", r"race",
    ],
    "nationalite": [
        r"etrangers?", r"etrangeres?", r"roumain(?:e|s|es)?", r"albanais(?:e|es)?", r"algerien(?:ne|s|nes)?",
        r"marocain(?:e|s|es)?", r"tunisien(?:ne|s|nes)?", r"turcs?", r"turques?", r"bulgares?", r"georgien(?:ne|s|nes)?",
        r"tchetchenes?", r"syrien(?:ne|s|nes)?", r"afghans?", r"afghanes?", r"migrant(?:e|s|es)?", r"refugie(?:e|s|es)?",
        r"sans[ -]papiers", r"clandestin(?:e|s|es)?", r"immigre(?:e|s|es)?", r"nationalite",
        r"accent (?:etranger|arabe|africain|de l'est)", r"pays de l'est",
    ],
    "religion": [
        r"musulman(?:e|s|es)?", r"juif", r"juive", r"juifs", r"juives", r"chretien(?:ne|s|nes)?", r"catholiques?",
        r"islam", r"islamistes?", r"islamiques?", r"voilee?s?", r"burq?as?", r"niqabs?", r"kippas?", r"djellabas?",
        r"salafistes?", r"religion", r"religieu(?:x|se|ses)",
    ],
    "sante": [
        r"malade mental(?:e|s|es)?", r"fous?", r"folles?", r"handicape(?:e|s|es)?", r"drogue(?:e|s|es)?",
        r"toxicos?", r"toxicomanes?", r"seropositi(?:f|ve|fs|ves)", r"sida", r"alcooliques?", r"schizophrenes?",
        r"autistes?", r"psychiatriques?", r"debiles?", r"attarde(?:e|s|es)?",
    ],
    "orientation": [
        r"homosexuel(?:le|s|les)?", r"gays?", r"lesbiennes?", r"pedes?", r"travestis?", r"transsexuel(?:le|s|les)?",
        r"bisexuel(?:le|s|les)?", r"trans", r"tapettes?", r"gouines?",
    ],
}

LABELS = {
    "origine": _lazy("l'origine ou la couleur de peau"),
    "nationalite": _lazy("la nationalité"),
    "religion": _lazy("la religion"),
    "sante": _lazy("la santé"),
    "orientation": _lazy("l'orientation sexuelle"),
}

_COMPILED = {
    group: re.compile(r"\b(?:" + "|".join(patterns) + r")\b") for group, patterns in TERMS.items()
}


def normalize(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", unidecode(text).lower()).split())


@dataclass(frozen=True)
class Finding:
    group: str
    term: str


def find_sensitive(text: str) -> list[Finding]:
    """Every sensitive term in the text, with its group (origine, nationalite, religion, sante, orientation)."""
    normalized = normalize(text)
    return [Finding(group, match.group(0)) for group, regex in _COMPILED.items() for match in regex.finditer(normalized)]


def explain(findings: list[Finding]) -> str:
    groups = sorted({f.group for f in findings})
    terms = ", ".join(sorted({f"« {f.term} »" for f in findings}))
    message = _(
        "Décrivez le comportement, pas la personne : ce texte mentionne %(what)s (%(terms)s). "
        "Reformulez sans ces mots (tenue, véhicule, direction prise, ce qui a été fait)."
    )
    return message % {"what": _(" et ").join(str(LABELS[g]) for g in groups), "terms": terms}
