"""Voice calls: the third channel. A call speaks the message in French twice and asks for 1; Twilio's signed
callbacks tell how it went (status) and whether the person confirmed (the digit).

Exactly once, as for SMS: each call is claimed right before `calls.create` (claims.py), under the global call
rate (ratelimit, "calls"). A call whose SID came back is `sent` and only Twilio's callbacks move it on; it is
placed again only when its final status says it never connected: busy or no-answer (up to VOICE_RETRIES more
times, VOICE_RETRY_SECONDS apart), or when the call never reached Twilio. A worker killed inside `calls.create`
leaves its claim `sending`; when the lease runs out the row is `checking` and Twilio's Calls list for the
number decides (check_calls): a call found is recorded, not placed again; none found is placed.

Every callback URL carries the delivery (`d`) and the attempt (`a`): a late callback of an earlier call (busy,
then placed again) never moves the later one.
"""

import logging
import math
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, TypedDict
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Count, Q
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from providers import ratelimit
from providers.base import Outcome, SendResult
from providers.twilio_voice import CallRequest, get_voice_backend, said, speech

from . import broker, claims
from .broker import chunks
from .composer import branded
from .models import Channel, Delivery, DeliveryStatus, Landline, Message
from .reconcile import checkable
from .retrying import survives_database_loss
from .sender import SEND_TASKS, publish_or_release
from .webhooks import signed

log = logging.getLogger(__name__)

STATUS_PATH = "/api/v1/webhooks/twilio/voice/status"
GATHER_PATH = "/api/v1/webhooks/twilio/voice/gather"
SPOKEN_MAX = 600  # characters of the message spoken (about 40 s at Twilio's French voice, said twice)
CALL_LEASE_SECONDS = 30.0  # one claim covers one calls.create: two timeouts (connect, read) and a margin
# Twilio's call statuses in order; the final ones end a call.
_RANK = {"queued": 0, "initiated": 1, "ringing": 2, "in-progress": 3, "completed": 4, "busy": 4, "no-answer": 4,
         "failed": 4, "canceled": 4}  # fmt: skip
NOT_CONNECTED = {"busy", "no-answer"}  # retried: nobody heard it


class VoiceReport(TypedDict):
    sent: int
    answered: int
    confirmed: int
    busy: int
    no_answer: int
    failed: int
    pending: int
    minutes: int


# --- sending ------------------------------------------------------------------------------------------------------
send_voice_task = survives_database_loss("notifications.tasks.send_voice", lambda ids: send_voice(ids))
assert SEND_TASKS[Channel.VOICE] == send_voice_task.name  # noqa: S101 - the sender publishes it by this name


def send_voice(delivery_ids: Sequence[int]) -> int:
    """Place the due calls among `delivery_ids`, a rate's share at a time; returns how many were placed."""
    placed = 0
    for group in chunks(list(delivery_ids), ratelimit.largest_burst("calls")):
        phone = Cast("user__phone", CharField())
        due = list(claims.due_among(group, Channel.VOICE).annotate(phone=phone).order_by("id"))
        if not due:
            continue
        with ratelimit.held(len(due), rate="calls") as hold:
            if hold is None:  # the rate was not granted in time: the sweeper publishes them again
                Delivery.objects.filter(claims.pending(), pk__any=[d.pk for d in due]).update(dispatched_at=None)
                return placed
            placed += _call_group(due)
    return placed


def _call_group(due: list[Any]) -> int:
    token, claimed = claims.claim_known(due, Channel.VOICE, CALL_LEASE_SECONDS)
    numbers = _numbers(claimed, {d.pk: d.phone for d in due})
    messages = Message.objects.in_bulk({d.message_id for d in claimed})
    backend, placed = get_voice_backend(), 0
    for d in claimed:
        if not numbers.get(d.pk):
            claims.mark_final(token, [d.pk], DeliveryStatus.FAILED, "no_number")
            continue
        request = CallRequest(key=d.key, to=numbers[d.pk], twiml=twiml(messages[d.message_id], d),
                              status_callback=callback_url(STATUS_PATH, d))  # fmt: skip
        try:
            result = backend.place(request)
        except Exception:  # it may have left: Twilio's record decides (logged with its traceback)
            log.exception("notifications: voice transport raised for delivery %s", d.pk)
            result = SendResult(d.key, Outcome.UNKNOWN, error_code="transport_error")
        placed += _record(token, d, result)
    return placed


def _numbers(deliveries: Sequence[Any], phones: dict[int, str]) -> dict[int, str]:
    """Where each call goes: the person's usable landline, else their own number."""
    usable = Q(verified_at__isnull=False) | Q(consent_at__isnull=False)
    landlines = dict(Landline.objects.filter(usable, user_id__in={d.user_id for d in deliveries})
                     .values_list("user_id", "phone"))  # fmt: skip
    return {d.pk: landlines.get(d.user_id) or phones.get(d.pk) or "" for d in deliveries}


def _record(token: uuid.UUID, d: Any, result: SendResult) -> int:
    if result.outcome == Outcome.SENT:
        # Conditional on the claim: a callback that overtook this answer has already recorded the call.
        claims._held(token, [d.pk]).update(status=DeliveryStatus.SENT, provider_id=result.provider_id[:64],
                                           provider_status="queued", sent_at=timezone.now(), claim_token=None,
                                           lease_until=None)  # fmt: skip
        return 1
    if result.outcome == Outcome.PERMANENT:
        claims.mark_final(token, [d.pk], DeliveryStatus.FAILED, result.error_code or "refused")
    elif result.outcome == Outcome.UNKNOWN:
        claims.mark_checking(token, [d.pk], result.error_code or "unknown")
    else:
        ids, delay = claims.mark_retry(token, [d], result.retry_after, result.error_code or "transient")
        if ids:
            publish_or_release(Channel.VOICE, ids, countdown=delay)
    return 0


def callback_url(path: str, d: Any) -> str:
    """A webhook's public URL for this delivery and attempt (signed over by Twilio, checked by us)."""
    return f"{settings.PUBLIC_BASE_URL}{path}?{urlencode({'d': d.pk, 'a': d.attempts})}"


def spoken_text(message: Message) -> str:
    """What is said: who speaks, then the message (French, whatever the reader's language)."""
    with override("fr"):
        if message.commune_ids:  # several communes: naming one would mislead the others' people
            intro = branded(_("Message de %(brand)s pour votre secteur."))
        else:
            intro = branded(_("Message de %(brand)s pour %(commune)s."), commune=message.commune.name)
    text = f"{message.title}. {message.body}".strip()
    return f"{intro} {text[:SPOKEN_MAX]}"


SPOKEN_CHARS_PER_SECOND = 14  # French at Twilio's voice, about


def minutes_per_call(message: Message) -> int:
    """Billed minutes of one call heard to the end: the message said twice and the prompt (started minutes)."""
    seconds = 2 * len(spoken_text(message)) / SPOKEN_CHARS_PER_SECOND + 10
    return max(1, math.ceil(seconds / 60))


def twiml(message: Message, d: Any) -> str:
    with override("fr"):
        return speech(spoken_text(message), _("Je répète."),
                      _("Appuyez sur 1 pour confirmer que vous avez entendu ce message."),
                      callback_url(GATHER_PATH, d), _("Au revoir."))  # fmt: skip


# --- Twilio's callbacks ---------------------------------------------------------------------------------------------
def _target(request: HttpRequest) -> Q | None:
    """The delivery and attempt a callback is about (from the URL we gave), or None when they are not numbers."""
    key, attempt = request.GET.get("d", ""), request.GET.get("a", "")
    if not (key.isdigit() and attempt.isdigit()) or len(key) > 18 or len(attempt) > 5:
        return None
    return Q(pk=int(key), attempts=int(attempt), channel=Channel.VOICE)


@csrf_exempt
@require_POST
def voice_status(request: HttpRequest) -> HttpResponse:
    if not signed(request):
        log.warning("webhooks: Twilio call status with a bad or missing signature refused")
        return HttpResponseForbidden()
    target, status = _target(request), request.POST.get("CallStatus", "").lower()
    if target is not None and status in _RANK:
        record_call_status(target, request.POST.get("CallSid", "")[:64], status,
                           _seconds(request.POST.get("CallDuration", "")))  # fmt: skip
    return HttpResponse(status=204)  # always, once signed: Twilio must not retry a stale callback for ever


def _seconds(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 7 else None


def record_call_status(target: Q, sid: str, status: str, seconds: int | None) -> bool:
    """Move the call's delivery forward; an older or repeated status, or another call's, changes nothing."""
    earlier = [s for s, rank in _RANK.items() if rank < _RANK[status]] + [""]
    live = Q(status__in=[DeliveryStatus.SENDING, DeliveryStatus.CHECKING, DeliveryStatus.SENT])
    same_call = Q(provider_id="") | Q(provider_id=sid) | ~Q(status=DeliveryStatus.SENT)
    rows = Delivery.objects.filter(target, live, same_call, provider_status__in=earlier)
    now = timezone.now()
    changes: dict[str, Any] = {"provider_status": status, "provider_id": sid, "claim_token": None, "lease_until": None}
    if _RANK[status] < 4:  # connected or connecting: the call left, it is never placed again
        return bool(rows.update(status=DeliveryStatus.SENT, **changes))
    changes["call_seconds"] = seconds
    if status == "completed":
        return bool(rows.update(status=DeliveryStatus.DELIVERED, finished_at=now, **changes))
    if status in NOT_CONNECTED:
        return _retry_or_fail(rows, status, changes)
    return bool(rows.update(status=DeliveryStatus.FAILED, error_code=status, finished_at=now, **changes))


def _retry_or_fail(rows: Any, status: str, changes: dict[str, Any]) -> bool:
    """Busy or no answer: nobody heard it, so it is called again, VOICE_RETRIES times at most."""
    now = timezone.now()
    last = rows.filter(attempts__gt=settings.VOICE_RETRIES)
    failed = last.update(status=DeliveryStatus.FAILED, error_code=status, finished_at=now, **changes)
    when = now + timedelta(seconds=settings.VOICE_RETRY_SECONDS)
    soon = settings.VOICE_RETRY_SECONDS <= claims.COUNTDOWN_MAX_SECONDS  # later ones: the sweeper publishes them
    ids = list(rows.filter(attempts__lte=settings.VOICE_RETRIES).values_list("pk", flat=True))
    # provider_status emptied: the next call's callbacks start from nothing (the error code keeps "busy").
    retried = rows.filter(pk__in=ids).update(
        status=DeliveryStatus.PENDING, not_before=when, dispatched_at=when if soon else None, error_code=status,
        **{**changes, "provider_status": ""},
    )  # fmt: skip
    if retried and soon:
        transaction.on_commit(lambda: publish_or_release(Channel.VOICE, ids, countdown=settings.VOICE_RETRY_SECONDS))
    return bool(failed or retried)


@csrf_exempt
@require_POST
def voice_gather(request: HttpRequest) -> HttpResponse:
    """The digit the person pressed: 1 records that they heard it ("heard and confirmed"), once per delivery."""
    if not signed(request):
        log.warning("webhooks: Twilio call digit with a bad or missing signature refused")
        return HttpResponseForbidden()
    target = _target(request)
    with override("fr"):
        if target is None or request.POST.get("Digits", "") != "1":
            return _twiml(said(_("Message non confirmé. Au revoir.")))
        Delivery.objects.filter(target, confirmed_at__isnull=True).update(confirmed_at=timezone.now())
        return _twiml(said(_("Merci, votre confirmation est enregistrée. Au revoir.")))


def _twiml(body: str) -> HttpResponse:
    return HttpResponse(body, content_type="text/xml; charset=utf-8")


# --- calls whose fate is unknown -------------------------------------------------------------------------------------
check_calls_task = survives_database_loss("notifications.tasks.check_calls", lambda ids: check_calls(ids))


def publish_call_checks(ids: Sequence[int]) -> int:
    return sum(broker.publish(check_calls_task.name, [batch], None, what=f"check calls x{len(batch)}")
               for batch in chunks(list(ids), 50))  # fmt: skip


def check_calls(delivery_ids: Sequence[int]) -> dict[str, int]:
    """Calls that may have been placed (their worker died, or Twilio's answer was lost): Twilio's Calls list for
    the number decides. A call found is recorded (its callbacks keep coming); none found: placed now."""
    token = uuid.uuid4()
    lease = timezone.now() + timedelta(seconds=CALL_LEASE_SECONDS)
    Delivery.objects.filter(checkable(), channel=Channel.VOICE, pk__in=list(delivery_ids)).update(
        claim_token=token, lease_until=lease)  # fmt: skip
    rows = list(Delivery.objects.filter(claim_token=token, status=DeliveryStatus.CHECKING)
                .annotate(phone=Cast("user__phone", CharField())))  # fmt: skip
    numbers, backend, outcome = _numbers(rows, {d.pk: d.phone for d in rows}), get_voice_backend(), {"found": 0, "placed": 0}
    taken = set(Delivery.objects.filter(channel=Channel.VOICE).exclude(provider_id="")
                .filter(user_id__in={d.user_id for d in rows}).values_list("provider_id", flat=True))  # fmt: skip
    placed: list[int] = []
    for d in rows:
        found = [c for c in backend.find_calls(numbers[d.pk], d.created_at) if c.sid not in taken]
        if found:
            Delivery.objects.filter(pk=d.pk, claim_token=token).update(
                status=DeliveryStatus.SENT, provider_id=found[0].sid, provider_status="queued", claim_token=None,
                lease_until=None, sent_at=timezone.now())  # fmt: skip
            if found[0].status in _RANK and _RANK[found[0].status] == 4:
                record_call_status(Q(pk=d.pk, channel=Channel.VOICE, attempts=d.attempts), found[0].sid,
                                   found[0].status, found[0].duration)  # fmt: skip
            outcome["found"] += 1
        else:
            Delivery.objects.filter(pk=d.pk, claim_token=token).update(
                status=DeliveryStatus.PENDING, not_before=None, dispatched_at=timezone.now(), claim_token=None,
                lease_until=None, error_code="not_placed")  # fmt: skip
            placed.append(d.pk)
            outcome["placed"] += 1
    if placed:
        publish_or_release(Channel.VOICE, placed)
    return outcome


# --- the report -----------------------------------------------------------------------------------------------------
def voice_report(deliveries: Any) -> VoiceReport:
    """A message's calls: placed, answered, confirmed, busy, no answer, failed, still to go, minutes billed."""
    calls = deliveries.filter(channel=Channel.VOICE)
    counts: dict[tuple[str, str], int] = {}
    for status, code, n in _grouped(calls):
        counts[(status, code)] = counts.get((status, code), 0) + n
    failed = {code: n for (status, code), n in counts.items() if status == DeliveryStatus.FAILED}
    seconds = calls.exclude(call_seconds=None).values_list("call_seconds", flat=True)
    sent_statuses = [DeliveryStatus.SENT, DeliveryStatus.DELIVERED]
    return {
        "sent": calls.filter(Q(status__in=sent_statuses) | ~Q(provider_id="")).count(),
        "answered": sum(n for (status, _code), n in counts.items() if status == DeliveryStatus.DELIVERED),
        "confirmed": calls.exclude(confirmed_at=None).count(),
        "busy": failed.get("busy", 0),
        "no_answer": failed.get("no-answer", 0),
        "failed": sum(n for code, n in failed.items() if code not in ("busy", "no-answer")),
        "pending": sum(n for (status, _code), n in counts.items()
                       if status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.CHECKING)),
        "minutes": sum(math.ceil(s / 60) for s in seconds),
    }  # fmt: skip


def _grouped(calls: Any) -> list[tuple[str, str, int]]:
    rows = calls.order_by().values("status", "error_code").annotate(n=Count("id"))
    return [(r["status"], r["error_code"], r["n"]) for r in rows]

