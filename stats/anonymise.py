"""What the public yearly balance withholds, and the definitions it publishes with its figures.

A small count of people (members, followers, recipients of the warnings and those reached quickly) could point
at someone in a village: any such count above 0 and under BALANCE_MIN_COUNT is withheld (null, listed in
`suppressed`; "< 5" on the page). A share or a median is withheld when computed from fewer (reports or people)
than that, or when it would give back a count withheld. Reports are counted as they are: a count of reports
names no one, and withholding them would leave the shares and the total received to give them back. A
territory's total is withheld too when exactly one of its communes' lines withholds that figure: the total minus
the other lines would give it.
"""

import copy
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

PEOPLE = ("people.members", "people.followers", "warnings.recipients", "warnings.reached_within_5_minutes")
# A share or a median: the counts it is computed from (their sum is its base), and the counts it would give back.
DERIVED = {
    "moderation.median_minutes_to_approve": (("moderation.approved",), ()),
    "moderation.rejected_share": (("moderation.approved", "moderation.rejected"), ()),
    "warnings.share_reached_within_5_minutes": (("warnings.recipients",), ("warnings.reached_within_5_minutes",)),
}


def get(data: dict[str, Any], path: str) -> Any:
    for key in path.split("."):
        data = data[key]
    return data


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for key in parents:
        data = data[key]
    data[last] = value


def anonymise(raw: dict[str, Any], also: Iterable[str] = ()) -> dict[str, Any]:
    """A copy of `raw` with what could identify a person withheld (None), plus `suppressed` (every path
    withheld) and `under_threshold` (the counts among them withheld for being small: the page says "< 5").

    `also`: counts to withhold whatever their size (a territory's complementary suppression)."""
    threshold = settings.BALANCE_MIN_COUNT
    forced = set(also)
    shown = copy.deepcopy(raw)
    suppressed, small_counts = [], []
    for path in PEOPLE:
        value = get(raw, path)
        if value and (value < threshold or path in forced):
            _put(shown, path, None)
            suppressed.append(path)
            if value < threshold:
                small_counts.append(path)
    for path, (bases, parts) in DERIVED.items():
        small = sum(get(raw, base) for base in bases) < threshold
        if get(raw, path) is not None and (small or any(part in suppressed for part in parts)):
            _put(shown, path, None)
            suppressed.append(path)
    return {**shown, "suppressed": suppressed, "under_threshold": small_counts}


def complementary(lines: Iterable[list[str]]) -> set[str]:
    """Counts withheld in exactly one line: the total would reveal them."""
    counts = Counter(path for line in lines for path in line if path in PEOPLE)
    return {path for path, n in counts.items() if n == 1}


def definitions() -> dict[str, str]:
    """Each figure's meaning, published with the open data (French; English if the request asks)."""
    return {
        "people.members": _("Membres approuvés du dispositif ayant adhéré au plus tard le 31 décembre (pour "
                            "l’année en cours : à la date du calcul). Les départs passés ne sont pas conservés."),
        "people.followers": _("Personnes qui suivaient les avis de la commune sans être forcément membres, au 31 "
                              "décembre (pour l’année en cours : à la date du calcul)."),
        "moderation.received": _("Signalements d’habitants reçus dans l’année (date de réception)."),
        "moderation.approved": _("Signalements reçus dans l’année et publiés après modération."),
        "moderation.rejected": _("Signalements reçus dans l’année et refusés par les modérateurs."),
        "moderation.pending": _("Signalements reçus dans l’année et encore en attente de décision."),
        "moderation.rejected_share": _("Part des refusés parmi les signalements décidés (publiés ou refusés)."),
        "moderation.median_minutes_to_approve": _("Délai médian, en minutes, entre la réception d’un signalement "
                                                  "et sa publication."),
        "warnings.public_warnings": _("Avis de risque (inondation, feu, tempête…) émis par la commune à la "
                                      "population : nouveaux avis, sans leurs mises à jour."),
        "warnings.mayor_broadcasts": _("Messages de la mairie adressés aux membres du dispositif."),
        "warnings.messages": _("Envois de ces avis et messages (mises à jour et fins d’avis comprises)."),
        "warnings.recipients": _("Destinataires de ces envois, chaque personne comptée une fois par envoi."),
        "warnings.reached_within_5_minutes": _("Destinataires dont un envoi a été accepté par le fournisseur "
                                               "(notification, SMS ou appel) dans les cinq minutes."),
        "warnings.share_reached_within_5_minutes": _("Part des destinataires atteints dans les cinq minutes."),
        "sending.sms_sent": _("SMS acceptés par l’opérateur, pour tous les messages de l’année ; un SMS long "
                              "compte plusieurs parties (sms_segments)."),
        "sending.calls": _("Appels vocaux passés, et leurs minutes facturées (chaque minute entamée)."),
        "sending.estimated_cost_eur": _("Coût estimé en euros : parties de SMS et minutes d’appel aux prix "
                                        "configurés (sms_segment_price_eur, call_minute_price_eur), hors "
                                        "abonnements ; la facture de l’opérateur fait foi."),
        "enrolment": _("Cambriolages de logement enregistrés par la police et la gendarmerie (SSMSI) : moyenne "
                       "annuelle avant et après l’année d’adhésion, celle-ci exclue, au niveau le plus fin publié "
                       "des deux côtés."),
        "official": _("Chiffres officiels annuels du SSMSI : ceux de la commune, ou de son département s’ils "
                      "manquent (level). Un chiffre non diffusé par le SSMSI est null, jamais 0."),
        "suppressed": _("Chiffres retenus pour ne permettre d’identifier personne : tout nombre de personnes "
                        "entre 1 et le seuil (threshold) exclu, et toute part ou médiane calculée sur moins de "
                        "signalements ou de personnes que ce seuil, ou qui redonnerait un nombre retenu, est "
                        "publié null."),
    }
