"""Writes on public warnings, their delegates and rules, and the decisions the State's vigilance prompts.

Each is one transaction with its audit entry. A warning's message is the outbox row written in the same
transaction (notifications.services.message_enqueue), planned once it commits: a warning, its updates and its end
go to the commune's members and followers (Audience.PUBLIC) under one push tag per thread, so that each replaces
the one before on the phone. Views and the desk authorise (risks.access); these functions check the rest.
"""

import logging
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import override
from rest_framework.exceptions import ValidationError

from accounts.models import User
from audit.services import audit_record
from communes import access
from communes.models import Commune, Neighbourhood, Role
from notifications.models import Audience, Message, MessageKind, MessageSource
from notifications.services import MessagePreview, message_draft, message_enqueue, message_for_source, message_preview
from vigilants.errors import Conflict

from . import instructions
from .models import (
    LEVEL_CAP,
    AreaKind,
    AreaWarning,
    Hazard,
    Level,
    MessageType,
    Origin,
    RiskPolicy,
    RiskWarning,
    VigilanceChange,
    VigilanceDecision,
    VigilanceOutcome,
    VigilanceSource,
    WarningDelegate,
)
from .selectors import RISEN_LEVELS, latest_in_thread, thread_key

log = logging.getLogger(__name__)

MAX_VALIDITY = timedelta(days=31)  # a longer one is a typing mistake: a lasting situation is updated
DEFAULT_VALIDITY = timedelta(hours=24)  # a relayed vigilance that gives no end
RADIUS_M = (50, 20_000)  # a circle smaller than a street or larger than any commune is a typing mistake
URGENT_LEVELS = (Level.ORANGE, Level.RED)


@dataclass(frozen=True)
class Area:
    """Where a warning applies: the whole commune, some of its quartiers, or a circle around a point."""

    kind: str = AreaKind.COMMUNE
    neighbourhoods: tuple[Neighbourhood, ...] = ()
    latitude: float | None = None
    longitude: float | None = None
    radius_m: int | None = None


@dataclass(frozen=True)
class Content:
    """What one row of a thread says. The CAP triple is the level's unless given (LEVEL_CAP)."""

    hazard: str
    level: str
    title: str
    description: str
    expires_at: datetime
    instruction: str = ""
    area: Area = Area()
    severity: str | None = None
    urgency: str | None = None
    certainty: str | None = None

    def as_fields(self) -> dict[str, Any]:
        """As keyword arguments of warning_issue, warning_update and vigilance_relay (not asdict: that would copy
        the area's quartiers, which are rows)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def cap(self) -> tuple[str, str, str]:
        severity, urgency, certainty = LEVEL_CAP[Level(self.level)]
        return self.severity or severity, self.urgency or urgency, self.certainty or certainty


CONTENT_FIELDS = frozenset(f.name for f in fields(Content))
CAP_FIELDS = ("severity", "urgency", "certainty")


# --- Checks --------------------------------------------------------------------------------------------------


def check_content(commune: Commune, content: Content) -> None:
    """Every rule the serializers cannot know (the clock, the commune), all errors at once, by field (400)."""
    errors: dict[str, list[str]] = {}
    now = timezone.now()
    if not content.title.strip():
        errors["title"] = [_("Donnez un titre à l'avis.")]
    if not content.description.strip():
        errors["description"] = [_("Décrivez la situation.")]
    if content.expires_at <= now:
        errors["expires_at"] = [_("La fin de validité doit être dans le futur.")]
    elif content.expires_at > now + MAX_VALIDITY:
        errors["expires_at"] = [_("Un avis vaut au plus %(days)s jours : mettez-le à jour s'il dure.") % {
            "days": MAX_VALIDITY.days}]  # fmt: skip
    errors.update(_area_errors(commune, content.area))
    if errors:
        raise ValidationError(errors)


def _area_errors(commune: Commune, area: Area) -> dict[str, list[str]]:
    if area.kind == AreaKind.NEIGHBOURHOODS:
        if not area.neighbourhoods:
            return {"neighbourhoods": [_("Choisissez au moins un quartier, ou toute la commune.")]}
        if any(n.commune_id != commune.pk for n in area.neighbourhoods):
            return {"neighbourhoods": [_("Quartier inconnu dans cette commune.")]}
        return {}
    if area.kind == AreaKind.CIRCLE:
        return _circle_errors(commune, area)
    return {}


def _circle_errors(commune: Commune, area: Area) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if area.latitude is None or not -90 <= area.latitude <= 90:
        errors["latitude"] = [_("Indiquez la latitude du centre, entre -90 et 90.")]
    if area.longitude is None or not -180 <= area.longitude <= 180:
        errors["longitude"] = [_("Indiquez la longitude du centre, entre -180 et 180.")]
    if area.radius_m is None or not RADIUS_M[0] <= area.radius_m <= RADIUS_M[1]:
        errors["radius_m"] = [_("Le rayon va de %(min)s à %(max)s mètres.") % {"min": RADIUS_M[0], "max": RADIUS_M[1]}]
    if not errors and not commune.contains(area.latitude or 0.0, area.longitude or 0.0):
        errors["latitude"] = [_("Le centre du cercle doit être dans la commune.")]
    return errors


def _writable(latest: RiskWarning, previous: RiskWarning, *, ending: bool) -> None:
    """409 unless `previous` is its thread's latest row and the thread still runs (an expired one may be ended)."""
    if latest.msg_type == MessageType.CANCEL:
        raise Conflict(_("Cet avis est terminé : émettez un nouvel avis."))
    if latest.pk != previous.pk:
        raise Conflict(_("Cet avis a été remplacé par une mise à jour plus récente (n° %(id)s) : partez de celle-ci.")
                       % {"id": latest.pk})  # fmt: skip
    if not ending and latest.expires_at <= timezone.now():
        raise Conflict(_("Cet avis a expiré : émettez un nouvel avis, ou terminez celui-ci."))


def _alone(previous: RiskWarning) -> None:
    """A warning over several communes is updated and ended as a whole (risks.territory): 409 here."""
    if previous.group_id is not None:
        raise Conflict(_("Cet avis a été émis sur plusieurs communes : mettez-le à jour ou terminez-le pour toutes "
                         "(avis groupé n° %(id)s).") % {"id": previous.group_id})  # fmt: skip


# --- Warnings ------------------------------------------------------------------------------------------------


@transaction.atomic
def warning_issue(
    *, commune: Commune, actor: User | None, hazard: str, level: str, title: str, description: str,
    expires_at: datetime, instruction: str = "", area: Area | None = None, severity: str | None = None,
    urgency: str | None = None, certainty: str | None = None, origin: str = Origin.MAYOR,
) -> RiskWarning:  # fmt: skip
    """A new warning (CAP msgType Alert): written, logged, and handed to sending when the transaction commits."""
    content = Content(hazard=hazard, level=level, title=title, description=description, expires_at=expires_at,
                      instruction=instruction, area=area or Area(), severity=severity, urgency=urgency,
                      certainty=certainty)  # fmt: skip
    return _issue(commune, content, actor=actor, origin=origin)


def _issue(commune: Commune, content: Content, *, actor: User | None, origin: str) -> RiskWarning:
    check_content(commune, content)
    warning = _write(commune, content, actor=actor, origin=origin, msg_type=MessageType.ALERT)
    audit_record(actor=actor, action="warning.issued", obj=warning, commune=commune, after=snapshot(warning))
    _send(warning, replaces=None)
    return warning


@transaction.atomic
def warning_update(*, previous: RiskWarning, actor: User | None, **changes: Any) -> RiskWarning:
    """A new row of the thread (CAP Update) saying what changed; `previous` must be the thread's latest row."""
    _alone(previous)
    _lock_thread(previous)
    _writable(latest_in_thread(previous), previous, ending=False)
    content = updated_content(previous, changes)
    check_content(previous.commune, content)
    warning = _write(previous.commune, content, actor=actor, origin=previous.origin, msg_type=MessageType.UPDATE,
                     previous=previous)  # fmt: skip
    audit_record(actor=actor, action="warning.updated", obj=warning, commune=warning.commune, before=snapshot(previous),
                 after=snapshot(warning))  # fmt: skip
    _send(warning, replaces=previous)
    return warning


@transaction.atomic
def warning_end(*, previous: RiskWarning, actor: User | None, text: str) -> RiskWarning:
    """The thread's end (CAP Cancel): `text` says why; on the phones it replaces the warning."""
    _alone(previous)
    _lock_thread(previous)
    _writable(latest_in_thread(previous), previous, ending=True)
    if not text.strip():
        raise ValidationError({"text": [_("Dites pourquoi l'avis prend fin.")]})
    content = replace(content_of(previous), description=text, instruction="", expires_at=timezone.now())
    warning = _write(previous.commune, content, actor=actor, origin=previous.origin, msg_type=MessageType.CANCEL,
                     previous=previous)  # fmt: skip
    audit_record(actor=actor, action="warning.ended", obj=warning, commune=warning.commune, before=snapshot(previous),
                 after=snapshot(warning))  # fmt: skip
    _send(warning, replaces=previous)
    return warning


def warning_preview(*, commune: Commune, actor: User | None, content: Content,
                    previous: RiskWarning | None = None) -> MessagePreview:  # fmt: skip
    """Whom the warning (or the update of `previous`) would reach by each channel, its SMS and their cost, as it
    would be sent; refuses what issuing refuses; writes nothing."""
    check_content(commune, content)
    kind = MessageType.ALERT if previous is None else MessageType.UPDATE
    draft = _row(commune, content, actor=actor, origin=Origin.MAYOR, msg_type=kind, previous=previous)
    with override("fr"):  # as _send: what residents receive is French
        message = message_draft(**_message_fields(draft, _area_ids(content.area), replaces=None))
    return message_preview(message)


def updated_content(previous: RiskWarning, changes: dict[str, Any]) -> Content:
    """`previous` with `changes`; a new level brings its own CAP triple unless that is given too."""
    unknown = set(changes) - CONTENT_FIELDS
    if unknown:
        raise TypeError(f"not a warning's field: {sorted(unknown)}")
    content = content_of(previous)
    if changes.get("level", previous.level) != previous.level:
        content = replace(content, severity=None, urgency=None, certainty=None)
    return replace(content, **changes)


def content_of(warning: RiskWarning) -> Content:
    area = Area(kind=warning.area_kind, neighbourhoods=tuple(warning.neighbourhoods.all()), latitude=warning.latitude,
                longitude=warning.longitude, radius_m=warning.radius_m)  # fmt: skip
    return Content(hazard=warning.hazard, level=warning.level, title=warning.title, description=warning.description,
                   expires_at=warning.expires_at, instruction=warning.instruction, area=area, severity=warning.severity,
                   urgency=warning.urgency, certainty=warning.certainty)  # fmt: skip


def _lock_thread(warning: RiskWarning) -> None:
    """Rows of a thread are written one at a time: the second of two simultaneous updates sees the first's row."""
    RiskWarning.objects.select_for_update().filter(pk=thread_key(warning)).first()


def _row(commune: Commune, content: Content, *, actor: User | None, origin: str, msg_type: str,
         previous: RiskWarning | None, group: AreaWarning | None = None) -> RiskWarning:  # fmt: skip
    """The row, not saved: what _write stores and warning_preview plans."""
    severity, urgency, certainty = content.cap()
    circle = content.area.kind == AreaKind.CIRCLE
    return RiskWarning(
        commune=commune, thread_id=thread_key(previous) if previous else None, references=previous,
        msg_type=msg_type, hazard=content.hazard, level=content.level, severity=severity, urgency=urgency,
        certainty=certainty, title=content.title.strip(), description=content.description.strip(),
        instruction=content.instruction.strip(), area_kind=content.area.kind,
        latitude=content.area.latitude if circle else None, longitude=content.area.longitude if circle else None,
        radius_m=content.area.radius_m if circle else None, expires_at=content.expires_at, origin=origin,
        issued_by=actor, group=group,
    )  # fmt: skip


def _write(commune: Commune, content: Content, *, actor: User | None, origin: str, msg_type: str,
           previous: RiskWarning | None = None, group: AreaWarning | None = None) -> RiskWarning:  # fmt: skip
    warning = _row(commune, content, actor=actor, origin=origin, msg_type=msg_type, previous=previous, group=group)
    warning.save(force_insert=True)
    if content.area.kind == AreaKind.NEIGHBOURHOODS:
        warning.neighbourhoods.set(content.area.neighbourhoods)
    return warning


def _area_ids(area: Area) -> list[int]:
    # A circle goes to the whole commune: members are placed by quartier, not by address, and a warning that
    # reaches a street too many is better than one that misses a house.
    return [n.pk for n in area.neighbourhoods] if area.kind == AreaKind.NEIGHBOURHOODS else []


def snapshot(warning: RiskWarning) -> dict[str, Any]:
    """What the audit log keeps of a row: everything that was sent, and where."""
    return {
        "thread": thread_key(warning), "msg_type": warning.msg_type, "hazard": warning.hazard, "level": warning.level,
        "severity": warning.severity, "urgency": warning.urgency, "certainty": warning.certainty,
        "title": warning.title, "description": warning.description, "instruction": warning.instruction,
        "area_kind": warning.area_kind, "neighbourhoods": sorted(n.pk for n in warning.neighbourhoods.all()),
        "latitude": warning.latitude, "longitude": warning.longitude, "radius_m": warning.radius_m,
        "expires_at": warning.expires_at.isoformat(), "origin": warning.origin,
    }  # fmt: skip


# --- The message ---------------------------------------------------------------------------------------------


def _send(warning: RiskWarning, *, replaces: RiskWarning | None) -> Message:
    """The outbox row, in the caller's transaction. French whatever the language of the request that sent it."""
    previous = message_for_source(MessageSource.WARNING, replaces.pk) if replaces is not None else None
    ids = [n.pk for n in warning.neighbourhoods.all()] if warning.area_kind == AreaKind.NEIGHBOURHOODS else []
    with override("fr"):
        return message_enqueue(**_message_fields(warning, ids, replaces=previous))


def _message_fields(warning: RiskWarning, neighbourhood_ids: list[int], *, replaces: Message | None) -> dict[str, Any]:
    """Members and followers; urgent from orange on; red by every channel each person has (and so through quiet
    hours); one push tag for the whole thread. The end is neither: it brings no danger."""
    live = warning.msg_type != MessageType.CANCEL
    return {
        "commune": warning.commune, "kind": MessageKind.BROADCAST, "title": message_title(warning)[:200],
        "body": message_body(warning), "urgent": live and warning.level in URGENT_LEVELS,
        "neighbourhood_ids": neighbourhood_ids or None, "channels": None, "exclude_user_id": warning.issued_by_id,
        "source_type": MessageSource.WARNING, "source_id": warning.pk, "replaces": replaces,
        "audience": Audience.PUBLIC, "thread_tag": warning.notification_tag if warning.pk else "",
        "every_channel": live and warning.level == Level.RED,
    }  # fmt: skip


def level_heading(level: str) -> str:
    return {
        Level.INFORMATION: _("Information"), Level.YELLOW: _("Vigilance jaune"),
        Level.ORANGE: _("Vigilance orange"), Level.RED: _("Vigilance rouge"),
    }[Level(level)]  # fmt: skip


def message_title(warning: RiskWarning) -> str:
    values = {"heading": level_heading(warning.level), "title": warning.title}
    if warning.msg_type == MessageType.CANCEL:
        return _("Fin de l'avis : %(title)s") % values
    if warning.msg_type == MessageType.UPDATE:
        return _("Mise à jour – %(heading)s : %(title)s") % values
    return _("%(heading)s : %(title)s") % values


def message_body(warning: RiskWarning) -> str:
    parts = [warning.description, warning.instruction]
    if warning.msg_type != MessageType.CANCEL:
        until = timezone.localtime(warning.expires_at)
        parts.append(_("Valable jusqu'au %(date)s à %(time)s.") % {"date": until.strftime("%d/%m/%Y"),
                                                                   "time": until.strftime("%H:%M")})  # fmt: skip
    return "\n\n".join(part for part in parts if part)


# --- Delegates and rules -------------------------------------------------------------------------------------


@transaction.atomic
def delegate_grant(*, commune: Commune, actor: User, user: User) -> WarningDelegate:
    """A referent of the commune may issue its warnings from now on (409 if they already may)."""
    if access.role_in(user, commune) != Role.REFERENT:
        raise ValidationError({"user": [_("Seul un référent de la commune peut recevoir cette délégation ; les maires "
                                          "et adjoints émettent déjà les avis.")]})  # fmt: skip
    delegate, created = WarningDelegate.objects.get_or_create(commune=commune, user=user, defaults={"granted_by": actor})
    if not created:
        raise Conflict(_("Cette personne a déjà la délégation."))
    audit_record(actor=actor, action="warning_delegate.granted", obj=delegate, commune=commune, after={"user": user.pk})
    return delegate


@transaction.atomic
def delegate_revoke(*, delegate: WarningDelegate, actor: User) -> None:
    audit_record(actor=actor, action="warning_delegate.revoked", obj=delegate, commune=delegate.commune,
                 before={"user": delegate.user_id, "granted_by": delegate.granted_by_id})  # fmt: skip
    delegate.delete()


def risk_policy(commune: Commune) -> RiskPolicy:
    """The commune's rules, or the defaults (not saved) when its mayor never set them."""
    return RiskPolicy.objects.filter(commune=commune).first() or RiskPolicy(commune=commune)


@transaction.atomic
def risk_policy_update(*, commune: Commune, actor: User, relay_red_automatically: bool) -> RiskPolicy:
    policy = RiskPolicy.objects.select_for_update().get_or_create(commune=commune)[0]
    before = {"relay_red_automatically": policy.relay_red_automatically}
    policy.relay_red_automatically = relay_red_automatically
    policy.save()
    audit_record(actor=actor, action="risk_policy.changed", obj=policy, commune=commune, before=before,
                 after={"relay_red_automatically": relay_red_automatically})  # fmt: skip
    return policy


# --- Vigilance -----------------------------------------------------------------------------------------------


def colour(level: str) -> str:
    names: dict[str, str] = {Level.INFORMATION: _("information"), Level.YELLOW: _("jaune"), Level.ORANGE: _("orange"),
                             Level.RED: _("rouge")}  # fmt: skip
    return names.get(level, level)


def relayable(change: VigilanceChange) -> bool:
    """A change that ended the vigilance (no level) has nothing to relay."""
    return change.level in Level.values


def vigilance_draft(change: VigilanceChange) -> Content:
    """The warning a rise of vigilance pre-fills: its hazard and colour, its words, the ready instructions, its end
    (or a day when it gives none). The mayor edits any of it before relaying; the policy relays it as it is.
    Only for a relayable change."""
    with override("fr"):
        hazard = capfirst(str(Hazard(change.hazard).label))
        title = change.headline or _("%(hazard)s : vigilance %(colour)s") % {"hazard": hazard, "colour": colour(change.level)}
        announced = _("%(source)s annonce une vigilance %(colour)s (%(hazard)s)%(area)s.") % {
            "source": VigilanceSource(change.source).label, "colour": colour(change.level), "hazard": hazard.lower(),
            "area": _(" pour %(area)s") % {"area": change.area_name} if change.area_name else "",
        }  # fmt: skip
    description = "\n\n".join(part for part in (announced, change.description) if part)
    return Content(hazard=change.hazard, level=change.level, title=title[:120], description=description[:2000],
                   instruction=instructions.ready_text(change.hazard, change.level), expires_at=_relay_end(change))  # fmt: skip


def _relay_end(change: VigilanceChange) -> datetime:
    now = timezone.now()
    if change.expires is not None and now < change.expires <= now + MAX_VALIDITY:
        return change.expires
    return now + DEFAULT_VALIDITY


@transaction.atomic
def vigilance_prompt(change: VigilanceChange) -> RiskWarning | None:
    """On a rise to orange or red (the reader logged the change itself): the prompt logged, the mayors and
    referents told at once, and red relayed straight away where the commune's policy says so. Returns the warning
    relayed automatically, if any. Once per change."""
    change = VigilanceChange.objects.select_for_update().select_related("commune").get(pk=change.pk)
    if change.level not in RISEN_LEVELS or _prompted(change):
        return None
    audit_record(actor=None, action="vigilance.prompted", obj=change, commune=change.commune, after=_change_facts(change))
    relayed = _auto_relay(change) if change.level == Level.RED and risk_policy(change.commune).relay_red_automatically else None
    _prompt(change, relayed)
    return relayed


def _prompted(change: VigilanceChange) -> bool:
    """The signal sent twice (a reading retried) prompts once."""
    return Message.objects.filter(source_type=MessageSource.VIGILANCE, source_id=change.pk).exists()


def _change_facts(change: VigilanceChange) -> dict[str, Any]:
    return {"source": change.source, "hazard": change.hazard, "level": change.level,
            "previous_level": change.previous_level, "area_code": change.area_code, "area_name": change.area_name,
            "expires": change.expires.isoformat() if change.expires else None,
            "source_identifier": change.source_identifier}  # fmt: skip


def _auto_relay(change: VigilanceChange) -> RiskWarning | None:
    try:
        with transaction.atomic():  # a refused draft must not cost the mayors their prompt
            return _relay(change, vigilance_draft(change), actor=None, automatic=True)
    except ValidationError:
        log.exception("risks: vigilance change %s could not be relayed automatically", change.pk)
        return None


def _relay(change: VigilanceChange, content: Content, *, actor: User | None, automatic: bool) -> RiskWarning:
    warning = _issue(change.commune, content, actor=actor, origin=Origin.VIGILANCE)
    VigilanceChange.objects.filter(pk=change.pk).update(relayed_as=warning)
    change.relayed_as = warning
    VigilanceDecision.objects.create(change=change, outcome=VigilanceOutcome.RELAYED, decided_by=actor, automatic=automatic)
    audit_record(actor=actor, action="vigilance.relayed", obj=change, commune=change.commune,
                 after={"warning": warning.pk, "automatic": automatic})  # fmt: skip
    return warning


def _prompt(change: VigilanceChange, relayed: RiskWarning | None) -> Message:
    """Urgent, to the commune's mayors and referents only (roles), never to residents."""
    insee = change.commune.insee
    with override("fr"):
        heading = _("Vigilance %(colour)s : %(hazard)s") % {"colour": colour(change.level),
                                                             "hazard": Hazard(change.hazard).label}  # fmt: skip
        # The link first: the SMS is cut to one segment (notifications.composer), the rest of the text may go.
        if relayed is not None:
            link = settings.PUBLIC_BASE_URL + reverse("desk:risk", args=[insee, relayed.pk])
            lead = _("Suivi : %(link)s") % {"link": link}
            what = _("Relayée automatiquement aux habitants, comme le veulent les règles de la commune : mettez l'avis "
                     "à jour ou terminez-le depuis ce lien.")  # fmt: skip
        else:
            link = settings.PUBLIC_BASE_URL + reverse("desk:risk-vigilance", args=[insee, change.pk])
            lead = _("Décider : %(link)s") % {"link": link}
            what = _("Rien n'est parti vers les habitants : relayez l'avis prérempli, modifiez-le ou écartez-le.")
        body = "\n\n".join(part for part in (lead, what, vigilance_draft(change).description) if part)
        return message_enqueue(commune=change.commune, kind=MessageKind.REMINDER, title=heading, body=body, urgent=True,
                               roles=[Role.MAYOR, Role.REFERENT], source_type=MessageSource.VIGILANCE,
                               source_id=change.pk)  # fmt: skip


def _lock_change(change: VigilanceChange) -> VigilanceChange:
    locked = VigilanceChange.objects.select_for_update().select_related("commune").get(pk=change.pk)
    if locked.relayed_as_id is not None or VigilanceDecision.objects.filter(change=locked).exists():
        raise Conflict(_("Cette vigilance a déjà fait l'objet d'une décision."))
    return locked


@transaction.atomic
def vigilance_relay(*, change: VigilanceChange, actor: User, **changes: Any) -> RiskWarning:
    """A person relays the rise as a warning: the pre-filled one (vigilance_draft), with their edits if any."""
    change = _lock_change(change)
    if not relayable(change):
        raise Conflict(_("Cette vigilance est levée : il n'y a rien à relayer."))
    unknown = set(changes) - CONTENT_FIELDS
    if unknown:
        raise TypeError(f"not a warning's field: {sorted(unknown)}")
    draft = vigilance_draft(change)
    if "instruction" not in changes and {"hazard", "level"} & set(changes):  # the ready text of what is relayed
        changes["instruction"] = instructions.ready_text(changes.get("hazard", draft.hazard), changes.get("level", draft.level))
    return _relay(change, replace(draft, **changes), actor=actor, automatic=False)


@transaction.atomic
def vigilance_dismiss(*, change: VigilanceChange, actor: User) -> VigilanceDecision:
    """A person decides that the rise does not call for a warning to residents: logged, and the prompt closes."""
    change = _lock_change(change)
    decision = VigilanceDecision.objects.create(change=change, outcome=VigilanceOutcome.DISMISSED, decided_by=actor)
    audit_record(actor=actor, action="vigilance.dismissed", obj=change, commune=change.commune,
                 after={"hazard": change.hazard, "level": change.level})  # fmt: skip
    return decision
