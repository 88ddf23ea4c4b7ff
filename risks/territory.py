"""One warning over several communes: a flood along a river, a fire front, sent once by a territory's operator or a
mayor (for the neighbouring communes that agreed).

Each commune gets its own RiskWarning thread (its list, CAP documents and feeds show it as any warning), tied to
the others by an AreaWarning. Each commune's mayors are told first (their own message, enqueued before the public
one); then one public message whose audience is the union of those communes' members and followers, each person
once per channel (Message.commune_ids, notifications.planner), under one push tag for the whole group, so that
the update and the end replace it on the phone. Views and the desk authorise (risks.access.may_warn_area); these
functions check the rest.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from rest_framework.exceptions import ValidationError

from accounts.models import User
from audit.services import audit_record
from communes import access
from communes.models import Commune, CommuneQuerySet, Role
from notifications.models import Audience, Message, MessageKind, MessageSource
from notifications.services import MessagePreview, message_draft, message_enqueue, message_for_source, message_preview
from vigilants.errors import Conflict

from .models import AreaKind, AreaWarning, MessageType, Origin, RiskWarning, WarningPartnership
from .services import (
    URGENT_LEVELS,
    Content,
    _lock_thread,
    _message_fields,
    _row,
    _writable,
    _write,
    check_content,
    content_of,
    message_title,
    snapshot,
    updated_content,
)

MAX_RADIUS_KM = 50.0  # a département's width: beyond, it is a list of communes, not a place
MAX_COMMUNES = 500  # a département and more: a list longer than that is a mistake
EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class AreaWarningResult:
    """What one step of a warning over several communes wrote: a row per commune, one public message, and the
    messages that told each commune's mayors first."""

    group: AreaWarning
    warnings: list[RiskWarning]  # by commune id, the first the public message's `commune`
    message: Message
    notices: list[Message]


# --- Where ---------------------------------------------------------------------------------------------------


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine): exact enough at the scale of a département."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _nearest_point(commune: Commune, lat: float, lon: float) -> tuple[float, float] | None:
    """The commune's point nearest to (lat, lon): inside its bounding box if it has one (a large commune whose
    centre is far but whose land is near is in), else its centre; None without either."""
    box = (commune.bbox_south, commune.bbox_west, commune.bbox_north, commune.bbox_east)
    if all(edge is not None for edge in box):
        south, west, north, east = (float(edge) for edge in box)  # type: ignore[arg-type]
        return min(max(lat, south), north), min(max(lon, west), east)
    if commune.latitude is None or commune.longitude is None:
        return None
    return commune.latitude, commune.longitude


def communes_within(center_lat: float, center_lon: float, radius_km: float, among: CommuneQuerySet) -> list[Commune]:
    """The communes of `among` whose bounding box (or centre) comes within `radius_km` of the point, by INSEE code.

    The database keeps what a box of the radius around the point can hold (indexed columns); the exact distance
    is then computed here."""
    dlat = radius_km / 111.0
    dlon = radius_km / max(0.01, 111.0 * math.cos(math.radians(center_lat)))
    south, north, west, east = center_lat - dlat, center_lat + dlat, center_lon - dlon, center_lon + dlon
    boxed = among.filter(bbox_north__gte=south, bbox_south__lte=north, bbox_east__gte=west, bbox_west__lte=east)
    centred = among.filter(bbox_north__isnull=True, latitude__range=(south, north), longitude__range=(west, east))
    found = []
    for commune in (boxed | centred).order_by("insee"):
        point = _nearest_point(commune, center_lat, center_lon)
        if point is not None and distance_km(center_lat, center_lon, *point) <= radius_km:
            found.append(commune)
    return found


# --- Checks --------------------------------------------------------------------------------------------------


def check_area_content(communes: Sequence[Commune], content: Content) -> list[Commune]:
    """The communes, each once by id, and the content's rules (400 by field); a warning over several communes is
    for each whole commune (quartiers and circles belong to one)."""
    unique = sorted({c.pk: c for c in communes}.values(), key=lambda c: c.pk)
    if not unique:
        raise ValidationError({"communes": [_("Choisissez au moins une commune.")]})
    if len(unique) > MAX_COMMUNES:
        raise ValidationError({"communes": [_("Au plus %(max)s communes par avis.") % {"max": MAX_COMMUNES}]})
    not_enrolled = [c.insee for c in unique if not c.enrolled]
    if not_enrolled:
        raise ValidationError({"communes": [_("Commune non inscrite : %(insee)s.") % {"insee": ", ".join(not_enrolled)}]})
    if content.area.kind != AreaKind.COMMUNE:
        raise ValidationError({"area_kind": [_("Un avis sur plusieurs communes vaut pour chacune entière.")]})
    check_content(unique[0], content)
    return unique


# --- Issue, update, end --------------------------------------------------------------------------------------


@transaction.atomic
def area_warning_issue(*, communes: Sequence[Commune], content: Content, actor: User | None,
                       origin: str = Origin.MAYOR, sender: str = "", center: tuple[float, float] | None = None,
                       radius_km: float | None = None) -> AreaWarningResult:  # fmt: skip
    """A new warning over `communes` (CAP Alert in each): written, logged in each commune, the mayors told, and
    one public message, all handed to sending when the transaction commits. `sender` names who sent it to the
    mayors (by default the actor's territory or town hall); `center` and `radius_km` record how the communes were
    chosen, if by a radius."""
    chosen = check_area_content(communes, content)
    group = AreaWarning.objects.create(
        issued_by=actor, sender=(sender or sender_name(actor, chosen))[:200],
        center_latitude=center[0] if center else None, center_longitude=center[1] if center else None,
        radius_km=radius_km,
    )  # fmt: skip
    rows = [_write(c, content, actor=actor, origin=origin, msg_type=MessageType.ALERT, group=group) for c in chosen]
    for row in rows:
        audit_record(actor=actor, action="warning.issued", obj=row, commune=row.commune,
                     after={**snapshot(row), **_group_facts(group, chosen)})  # fmt: skip
    return _send_group(group, rows, previous=None)


@transaction.atomic
def area_warning_update(*, group: AreaWarning, actor: User | None, **changes: Any) -> AreaWarningResult:
    """An update of every commune's thread (CAP Update), the same words in each; one public message replacing the
    previous one under the group's tag. 409 if the group ended or expired."""
    previous = _current_rows(group)
    content = updated_content(previous[0], changes)
    communes = [row.commune for row in previous]
    check_area_content(communes, content)
    rows = [_next_row(row, content, actor=actor, msg_type=MessageType.UPDATE, group=group) for row in previous]
    _log_step(rows, previous, actor=actor, action="warning.updated", group=group)
    return _send_group(group, rows, previous=previous[0])


@transaction.atomic
def area_warning_end(*, group: AreaWarning, actor: User | None, text: str) -> AreaWarningResult:
    """The end of every commune's thread (CAP Cancel): `text` says why; on the phones it replaces the warning."""
    previous = _current_rows(group, ending=True)
    if not text.strip():
        raise ValidationError({"text": [_("Dites pourquoi l'avis prend fin.")]})
    content = replace(content_of(previous[0]), description=text, instruction="", expires_at=timezone.now())
    rows = [_next_row(row, content, actor=actor, msg_type=MessageType.CANCEL, group=group) for row in previous]
    _log_step(rows, previous, actor=actor, action="warning.ended", group=group)
    return _send_group(group, rows, previous=previous[0])


def area_warning_preview(*, communes: Sequence[Commune], content: Content, actor: User | None) -> MessagePreview:
    """Whom the warning would reach by each channel over all `communes`, each person once, its SMS and their cost;
    refuses what issuing refuses; writes nothing."""
    chosen = check_area_content(communes, content)
    draft = _row(chosen[0], content, actor=actor, origin=Origin.MAYOR, msg_type=MessageType.ALERT, previous=None)
    with override("fr"):
        message = message_draft(**_message_fields(draft, [], replaces=None), commune_ids=[c.pk for c in chosen])
    return message_preview(message)


def group_rows(group: AreaWarning) -> list[RiskWarning]:
    """Each commune's latest row of the group, by commune id."""
    keyed = group.warnings.annotate(key=Coalesce("thread_id", "id"))
    last = keyed.order_by().values("key").annotate(last=Max("id")).values("last")
    return list(RiskWarning.objects.filter(pk__in=last).select_related("commune").order_by("commune_id"))


def _current_rows(group: AreaWarning, *, ending: bool = False) -> list[RiskWarning]:
    """The latest rows, locked (each thread written one at a time, as a single commune's) and still writable."""
    rows = group_rows(group)
    for row in rows:
        _lock_thread(row)
    rows = group_rows(group)  # a concurrent update committed before our locks: start from its rows
    for row in rows:
        _writable(row, row, ending=ending)
    return rows


def _next_row(previous: RiskWarning, content: Content, *, actor: User | None, msg_type: str,
              group: AreaWarning) -> RiskWarning:  # fmt: skip
    return _write(previous.commune, content, actor=actor, origin=previous.origin, msg_type=msg_type,
                  previous=previous, group=group)  # fmt: skip


def _log_step(rows: list[RiskWarning], previous: list[RiskWarning], *, actor: User | None, action: str,
              group: AreaWarning) -> None:  # fmt: skip
    communes = [row.commune for row in rows]
    for row, before in zip(rows, previous, strict=True):
        audit_record(actor=actor, action=action, obj=row, commune=row.commune, before=snapshot(before),
                     after={**snapshot(row), **_group_facts(group, communes)})  # fmt: skip


def _group_facts(group: AreaWarning, communes: Sequence[Commune]) -> dict[str, Any]:
    return {"group": group.pk, "communes": [c.insee for c in communes], "sender": group.sender}


# --- The messages --------------------------------------------------------------------------------------------


def _send_group(group: AreaWarning, rows: list[RiskWarning], *, previous: RiskWarning | None) -> AreaWarningResult:
    """The mayors' messages first, then the public one: enqueued (and so planned) in that order."""
    notices = [_notify_mayors(group, row, len(rows)) for row in rows]
    replaces = message_for_source(MessageSource.WARNING, previous.pk) if previous is not None else None
    with override("fr"):
        fields = _message_fields(rows[0], [], replaces=replaces)
        message = message_enqueue(**fields, commune_ids=[row.commune_id for row in rows])
    return AreaWarningResult(group=group, warnings=rows, message=message, notices=notices)


def _notify_mayors(group: AreaWarning, row: RiskWarning, count: int) -> Message:
    """Who sent what to their commune, to its mayors, before the residents hear of it."""
    with override("fr"):
        title = _("Avis pour votre commune, émis par %(sender)s") % {"sender": group.sender}
        body = "\n\n".join([
            message_title(row),
            _("%(sender)s l'envoie à %(count)s communes, dont la vôtre ; il figure dans la liste des avis de la commune "
              "et part maintenant vers ses membres et abonnés.") % {"sender": group.sender,
                                                                    "count": count},
            row.description,
        ])  # fmt: skip
        return message_enqueue(
            commune=row.commune, kind=MessageKind.REMINDER, title=title[:200], body=body, roles=[Role.MAYOR],
            urgent=row.msg_type != MessageType.CANCEL and row.level in URGENT_LEVELS, audience=Audience.MEMBERS,
            source_type=MessageSource.WARNING_NOTICE, source_id=row.pk, exclude_user_id=group.issued_by_id,
        )  # fmt: skip


def sender_name(actor: User | None, communes: Sequence[Commune]) -> str:
    """Who the mayors read sent it: the actor's territory holding these communes, else the town hall the actor
    warns for, else the service."""
    with override("fr"):
        if actor is not None and actor.is_authenticated:
            for territory in access.operator_territories(actor):
                if all(territory.contains(c) for c in communes):
                    return territory.name
            for commune in communes:
                if access.is_mayor(actor, commune) or access.role_in(actor, commune) == Role.REFERENT:
                    return _("la mairie de %(name)s") % {"name": commune.name}
            own = access.approved_memberships(actor).filter(role__in=[Role.MAYOR, Role.REFERENT]).select_related(
                "commune").first()  # fmt: skip
            if own is not None:
                return _("la mairie de %(name)s") % {"name": own.commune.name}
        return _("le service d'alerte du territoire")


# --- Partnerships --------------------------------------------------------------------------------------------


@transaction.atomic
def partnership_grant(*, commune: Commune, partner: Commune, actor: User) -> WarningPartnership:
    """`commune`'s mayors accept warnings from `partner`'s mayors (409 if they already do)."""
    if partner.pk == commune.pk:
        raise ValidationError({"insee": [_("Les maires de la commune l'alertent déjà.")]})
    if not partner.enrolled:
        raise ValidationError({"insee": [_("Cette commune n'est pas inscrite.")]})
    partnership, created = WarningPartnership.objects.get_or_create(commune=commune, partner=partner,
                                                                    defaults={"granted_by": actor})  # fmt: skip
    if not created:
        raise Conflict(_("Cette commune peut déjà alerter la vôtre."))
    audit_record(actor=actor, action="warning_partnership.granted", obj=partnership, commune=commune,
                 after={"partner": partner.insee})  # fmt: skip
    return partnership


@transaction.atomic
def partnership_revoke(*, partnership: WarningPartnership, actor: User) -> None:
    audit_record(actor=actor, action="warning_partnership.revoked", obj=partnership, commune=partnership.commune,
                 before={"partner": partnership.partner.insee, "granted_by": partnership.granted_by_id})  # fmt: skip
    partnership.delete()
