"""Reports and confirmations by SMS, for members without the app: the texts Twilio's inbound webhook hands over
(notifications/inbound.py) once STOP / ARRÊT / START are ruled out.

- A member's text is a report, pending like any other: alert_create with the API's checks (behaviour, not
  appearance; auto-approval) and the API's report throttle, counted in the same budget per person.
- "OUI" or "1" answers the last alert SMS the member received within CONFIRM_WINDOW: a confirmation ("moi aussi")
  counted on that alert by the service the API's duplicates use (alert_confirm).
- Anyone else (unknown number, request to join not approved, commune not enrolled) is told how to join, and
  nothing is stored.

Every answer is a French SMS in the webhook's TwiML, within the request, written in GSM-7 when longer than one
UCS-2 part (70 characters): a single "ç", "ê" or « » makes the whole SMS UCS-2, paid by the commune.
A member of several communes reports to the commune of their most recent approved membership, unless the text
starts with the INSEE code of another.
"""

import hashlib
import re
import time
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from accounts.models import User
from communes.models import Commune, Membership, MembershipStatus
from notifications.composer import branded
from notifications.inbound import InboundReply, InboundText
from notifications.models import REACHED_DELIVERY_STATUSES, Channel, Delivery, MessageKind, MessageSource
from providers.gsm import to_gsm7
from vigilants.categories import Category
from vigilants.throttling import hit

from .models import Alert, AlertKind, AlertStatus, Confirmation
from .sensitive import normalize
from .services import alert_confirm, alert_create

CONFIRM_WORDS = {"oui", "1"}
CONFIRM_WINDOW = timedelta(hours=24)
MIN_LENGTH, MAX_LENGTH = 5, 2000  # the API's bounds on a description (AlertCreateSerializer)
# Answers to numbers that are not members, per number and day: an automatic responder answering our refusal
# must not start an endless exchange of SMS, each one paid.
REFUSALS_PER_DAY = 3

# Category words, matched on the normalised text (no accents, lower case); the one found first in the text wins,
# so "Tentative de cambriolage, voiture garée devant" is an attempted burglary.
CATEGORY_WORDS: list[tuple[re.Pattern[str], Category]] = [
    (re.compile(pattern), category)
    for pattern, category in [
        (r"\btentatives?\b", Category.TENTATIVE_CAMBRIOLAGE),
        (r"\bcambriol\w*", Category.CAMBRIOLAGE),
        (r"\b(?:vehicules?|voitures?)\b", Category.VEHICULE_SUSPECT),
        (r"\b(?:individus?|personnes? suspecte?s?)\b", Category.INDIVIDU_SUSPECT),
        (r"\bdemarch\w*", Category.DEMARCHAGE_SUSPECT),
        (r"\bvols?\b", Category.VOL),
        (r"\bdegradations?\b", Category.DEGRADATION),
        (r"\b(?:incendies?|feux?)\b", Category.INCENDIE),
    ]
]
_INSEE_PREFIX = re.compile(r"^\s*(\d[0-9AB]\d{3})\b[\s:,.-]*", re.IGNORECASE)


def handle_sms(text: InboundText) -> InboundReply:
    """The answer to any text that is not STOP / START (registered in AlertsConfig.ready)."""
    user = User.objects.filter(phone=text.phone, is_active=True).first()
    memberships = _memberships(user) if user is not None else []
    if user is None or not memberships:
        return _refusal(text.phone)
    if text.word in CONFIRM_WORDS:
        return _confirm(user, [m.commune_id for m in memberships])
    commune, description = _commune_and_text(memberships, text.body)
    return _report(user, commune, description, several=len(memberships) > 1)


def category_of(text: str) -> Category:
    """The category named by the word found first in the text; `autre` when it names none."""
    normalized = normalize(text)
    found = [(match.start(), category) for regex, category in CATEGORY_WORDS if (match := regex.search(normalized))]
    return min(found, key=lambda pair: pair[0])[1] if found else Category.AUTRE


def _memberships(user: User) -> list[Membership]:
    """Approved memberships of enrolled communes, most recently approved first."""
    approved = Membership.objects.filter(user=user, status=MembershipStatus.APPROVED, commune__enrolled=True)
    order = (F("decided_at").desc(nulls_last=True), "-created_at", "-pk")
    return list(approved.select_related("commune").order_by(*order))


def _refusal(phone: str) -> InboundReply:
    day = int(time.time() // 86400)
    # The number hashed: the cache holds no phone number.
    key = f"sms-refusal:{hashlib.sha256(phone.encode()).hexdigest()[:24]}:{day}"
    if hit(key, 86400) > REFUSALS_PER_DAY:
        return InboundReply(text="", outcome="not a member, refused again without an answer")
    return InboundReply(text=branded(_(
        "%(brand)s : ce numéro n'est pas celui d'un membre d'une commune participante, votre message n'a pas été "
        "enregistré. Pour signaler, rejoignez votre commune depuis l'application %(brand)s. "
        "En cas d'urgence, appelez le 17 ou le 112."
    )), outcome="not a member, refused")  # fmt: skip


def _commune_and_text(memberships: list[Membership], body: str) -> tuple[Commune, str]:
    """The commune named by a leading INSEE code among the member's (the code then leaves the text), else the
    commune of the most recent approved membership."""
    text = body.strip()
    match = _INSEE_PREFIX.match(text)
    if match is not None:
        for membership in memberships:
            if membership.commune.insee.upper() == match.group(1).upper():
                return membership.commune, text[match.end() :].strip()
    return memberships[0].commune, text


def _report(user: User, commune: Commune, description: str, *, several: bool) -> InboundReply:
    if len(description) < MIN_LENGTH:
        return InboundReply(text=branded(_(
            '%(brand)s : décrivez ce que vous avez vu en quelques mots, par exemple "Cambriolage rue des '
            'Oliviers". Répondez OUI à une alerte SMS pour la confirmer.'
        )), outcome="report too short")  # fmt: skip
    wait = _throttled(user)
    if wait is not None:
        minutes = max(1, round(wait / 60))
        return InboundReply(text=branded(_(
            "%(brand)s : vous avez envoyé beaucoup de signalements, réessayez dans %(minutes)d min. "
            "En cas d'urgence, appelez le 17 ou le 112."
        ), minutes=minutes), outcome="report throttled")  # fmt: skip
    try:
        alert, confirmation = alert_create(reporter=user, commune=commune, category=category_of(description),
                                           description=description[:MAX_LENGTH])  # fmt: skip
    except ValidationError as error:
        return InboundReply(text=_refused(error), outcome="report refused (appearance)")
    return InboundReply(text=_acknowledgement(alert, confirmation, commune if several else None), outcome="report")


def _throttled(user: User) -> float | None:
    """Seconds to wait when the person used up the API's report budget (THROTTLE_ALERT_CREATE), else None. The
    same budget as POST /alerts: texting does not double what the app allows."""
    throttle = _ReportThrottle(user)
    if throttle.allow_request(Request(HttpRequest()), APIView()):
        return None
    return throttle.wait() or 60.0


class _ReportThrottle(SimpleRateThrottle):
    """DRF's ScopedRateThrottle of POST /alerts (scope alert_create), its key built from the person, not from a
    request (there is no signed-in request behind an SMS)."""

    scope = "alert_create"

    def __init__(self, user: User) -> None:
        super().__init__()
        self.user_pk = user.pk

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.user_pk}


def _refused(error: ValidationError) -> str:
    """The checks' own explanation (what to rephrase), then that nothing was kept: in GSM-7 (its « » would make
    the whole SMS UCS-2, up to three times the parts)."""
    detail = error.detail
    messages = detail.get("description", []) if isinstance(detail, dict) else detail
    reason = " ".join(str(message) for message in messages) if isinstance(messages, list) else str(messages)
    return to_gsm7(branded(_("%(brand)s : %(reason)s Rien n'a été enregistré."), reason=reason))


def _acknowledgement(alert: Alert, confirmation: bool, commune: Commune | None) -> str:
    if confirmation:
        return branded(_("%(brand)s : ce fait était déjà signalé, votre témoignage y est ajouté. Merci."))
    if alert.status == AlertStatus.APPROVED:  # the commune's policy approves this category from this person
        return _("Signalement reçu et diffusé aux membres de la commune. Merci.")
    if commune is not None:
        return _("Signalement enregistré pour %(commune)s : il sera vérifié par la mairie avant diffusion.") % {
            "commune": to_gsm7(commune.name)
        }
    return _("Signalement reçu : il sera vérifié par la mairie avant diffusion.")


def _confirm(user: User, commune_ids: list[int]) -> InboundReply:
    alert_id = _last_alert_texted(user)
    with transaction.atomic():
        # Locked: the same person's two quick OUI count once.
        alert = Alert.objects.select_for_update().filter(
            pk=alert_id, kind=AlertKind.REPORT, status=AlertStatus.APPROVED, closed_at__isnull=True,
            commune_id__in=commune_ids,
        ).first() if alert_id is not None else None  # fmt: skip
        if alert is None:
            return InboundReply(text=branded(_(
                "%(brand)s : aucune alerte SMS de ces dernières 24 heures n'est à confirmer. Pour signaler un fait, "
                "décrivez-le dans un SMS."
            )), outcome="confirmation without an alert")  # fmt: skip
        if Confirmation.objects.filter(alert=alert, reporter=user).exists():
            counted = _("%(brand)s : votre confirmation de cette alerte était déjà comptée. Merci.")
            return InboundReply(text=branded(counted), outcome="confirmation already counted")  # fmt: skip
        alert_confirm(alert=alert, reporter=user)
    thanks = _('%(brand)s : merci, votre confirmation ("moi aussi") est transmise à la mairie.')
    return InboundReply(text=branded(thanks), outcome="confirmation")


def _last_alert_texted(user: User) -> int | None:
    """The alert of the last report SMS this person received (the provider took it) within CONFIRM_WINDOW."""
    since = timezone.now() - CONFIRM_WINDOW
    deliveries = Delivery.objects.filter(
        user=user, channel=Channel.SMS, status__in=REACHED_DELIVERY_STATUSES, sent_at__gte=since,
        message__kind=MessageKind.ALERT, message__source_type=MessageSource.ALERT,
    )  # fmt: skip
    alert_id: int | None = deliveries.order_by("-sent_at", "-pk").values_list("message__source_id", flat=True).first()
    return alert_id
