"""The mayor's warnings to the inhabitants: the list, writing one (checked, then previewed, then sent), its report.

Who may do what is the API's rule: the commune's moderators read the warnings and their reports (as they read
an alert's deliveries), only its mayor writes one (POST /communes/{insee}/broadcasts). What a warning would
reach, and what its SMS would cost, comes from the fan-out's own planning (alerts.services.broadcast_preview).
"""

import re
import uuid
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods
from rest_framework.exceptions import ValidationError

from accounts.authentication import SignedInHttpRequest
from alerts.models import Alert
from alerts.selectors import commune_broadcasts
from alerts.services import broadcast_create, broadcast_preview
from communes.models import Commune
from notifications.health import DELAY_REASONS
from notifications.models import Channel, Delivery, Message, MessageSource
from notifications.services import (
    ChannelTally,
    MessageFigures,
    call_minute_price,
    latest_figures,
    message_delay_reason,
    message_figures,
    message_for_source,
    sms_segment_price,
)
from notifications.voice import voice_report

from .access import desk_page
from .warnings_form import CHANNEL_LABELS, WarningForm, limits

PAGE_SIZE = 20
REFRESH_SECONDS = 5  # how often the report's page asks for its figures while something is still to go
# Each preview's form carries a fresh token, spent by the one "Envoyer" that sends it: a double click, or the
# browser posting the form again, finds it spent and sends nothing twice to the whole commune. A guard against
# repeats, not a proof that the preview was read (the API sends without one); a post without a token is shown
# its preview first.
DRAFT = re.compile(r"[0-9a-f]{32}")
DRAFT_SECONDS = 24 * 3600
SENDING = 0  # the token's value while its warning is being written; then the warning's id


@require_GET
@desk_page()
def warning_list(request: SignedInHttpRequest, commune: Commune) -> HttpResponse:
    alerts = commune_broadcasts(request.user, commune).prefetch_related("target_neighbourhoods").order_by("-created_at", "-pk")
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    figures = latest_figures(MessageSource.ALERT, [alert.pk for alert in page])
    rows = [(alert, figures.get(alert.pk)) for alert in page]
    return render(request, "desk/warnings/list.html", {"commune": commune, "page": page, "rows": rows})


@require_http_methods(["GET", "POST"])
@desk_page(mayor_only=True)
def warning_new(request: SignedInHttpRequest, commune: Commune) -> HttpResponse:
    """GET: the form. POST: checked, then previewed (nothing sent); "Envoyer" on the preview sends it."""
    if request.method == "GET":
        return _compose(request, WarningForm(commune))
    form = WarningForm.posted(commune, request.POST)
    step = request.POST.get("step")
    if step == "edit":  # back from the preview, as typed
        return _compose(request, form)
    if not form.is_valid():
        return _compose(request, form, status=400)
    if step == "send":
        return _send(request, form)
    return _preview(request, form)


def _compose(request: SignedInHttpRequest, form: WarningForm, status: int = 200) -> HttpResponse:
    context = {"commune": form.commune, "form": form, "neighbourhoods": form.commune.neighbourhoods.order_by("name"),
               "channel_labels": CHANNEL_LABELS, "limits": limits()}  # fmt: skip
    return render(request, "desk/warnings/compose.html", context, status=status)


def _preview(request: SignedInHttpRequest, form: WarningForm, *, unconfirmed: bool = False) -> HttpResponse:
    try:
        preview = broadcast_preview(commune=form.commune, actor=request.user, **form.valid)
    except ValidationError as refused:  # words describing people rather than what they do
        form.add_errors(refused.detail)
        return _compose(request, form, status=400)
    return render(request, "desk/warnings/preview.html", {
        "commune": form.commune, "form": form, "preview": preview, "draft": uuid.uuid4().hex,
        "price": sms_segment_price(), "call_price": call_minute_price(),
        "channels": [CHANNEL_LABELS[name] for name in form.valid["channels"]],
        "unconfirmed": unconfirmed,
    })  # fmt: skip


def _send(request: SignedInHttpRequest, form: WarningForm) -> HttpResponse:
    token = request.POST.get("draft", "")
    if not DRAFT.fullmatch(token):  # not from a preview: show it first
        return _preview(request, form, unconfirmed=True)
    key = f"desk:warning-draft:{request.user.pk}:{token}"
    if not cache.add(key, SENDING, timeout=DRAFT_SECONDS):
        return _already_sent(request, form.commune, cache.get(key))
    try:
        alert = broadcast_create(commune=form.commune, actor=request.user, **form.valid)
    except ValidationError as refused:
        cache.delete(key)
        form.add_errors(refused.detail)
        return _compose(request, form, status=400)
    except Exception:
        cache.delete(key)  # nothing was sent: the mayor may try again
        raise
    cache.set(key, alert.pk, timeout=DRAFT_SECONDS)
    messages.success(request, _("Votre message part vers les habitants : les chiffres ci-dessous suivent son envoi."))
    return redirect("desk:warning", form.commune.insee, alert.pk)


def _already_sent(request: SignedInHttpRequest, commune: Commune, sent: Any) -> HttpResponse:
    messages.info(request, _("Ce message a déjà été envoyé : il ne part qu'une fois."))
    if isinstance(sent, int) and sent != SENDING:
        return redirect("desk:warning", commune.insee, sent)
    return redirect("desk:warnings", commune.insee)


@require_GET
@desk_page()
def warning_detail(request: SignedInHttpRequest, commune: Commune, pk: int) -> HttpResponse:
    """The live report: its figures are re-read by desk/static/desk/report.js (or the "Actualiser" link)."""
    alert = _broadcast(request, commune, pk)
    report = report_figures(alert)
    return render(request, "desk/warnings/report.html", {
        "commune": commune, "alert": alert, "report": report, "refresh_seconds": REFRESH_SECONDS,
        "neighbourhoods": alert.target_neighbourhoods.order_by("name"),
        "channels": [CHANNEL_LABELS[name] for name in alert.channels or CHANNEL_LABELS],  # none: every channel
    })  # fmt: skip


@require_GET
@desk_page()
def warning_report(request: SignedInHttpRequest, commune: Commune, pk: int) -> JsonResponse:
    """The report's figures, polled by desk/static/desk/report.js while anything is pending."""
    return JsonResponse(report_figures(_broadcast(request, commune, pk)))


def _broadcast(request: SignedInHttpRequest, commune: Commune, pk: int) -> Alert:
    return get_object_or_404(commune_broadcasts(request.user, commune), pk=pk)


def report_figures(alert: Alert) -> dict[str, Any]:
    """A warning's figures, for its page and its JSON alike: per channel, what is pending, why it is late."""
    return message_report_figures(message_for_source(MessageSource.ALERT, alert.pk))


def message_report_figures(message: Message | None) -> dict[str, Any]:
    """A message's figures as report.js reads them (a broadcast's, a public warning's: desk/risks_views.py)."""
    if message is None:  # never for a broadcast (written with it), but its report must not fail for that
        figures, reason = MessageFigures.of({}, recipients=0, planning=False), None
    else:
        figures = message_figures(message)
        reason = message_delay_reason(message) if figures.pending else None
    channels = {Channel.PUSH.value: _channel(figures.push), Channel.SMS.value: _channel(figures.sms)}
    calls = _calls(message)
    if calls["sent"] or calls["pending"] or calls["failed"]:
        channels[Channel.VOICE.value] = calls
    pending = figures.pending
    return {
        "recipients": figures.recipients, "pending": pending, "done": pending == 0,
        "channels": channels, "summary": _summary(figures, calls),
        "delay": str(DELAY_REASONS[reason]) if reason else None,
        "updated": time_format(timezone.localtime(), "H:i:s"),
    }  # fmt: skip


def _channel(tally: ChannelTally) -> dict[str, int]:
    return {"sent": tally.sent, "delivered": tally.delivered, "failed": tally.failed, "unknown": tally.unknown,
            "pending": tally.pending}  # fmt: skip


def _calls(message: Message | None) -> dict[str, int]:
    """A message's calls in the table's columns: accepted, heard and confirmed (1 pressed), failed (busy, no
    answer and failures once no retry is left), pending (notifications.voice's report, the API's own)."""
    report = voice_report(Delivery.objects.filter(message=message) if message else Delivery.objects.none())
    failed = report["failed"] + report["busy"] + report["no_answer"]  # final: no retry left
    return {"sent": report["sent"], "delivered": report["confirmed"], "failed": failed, "unknown": 0,
            "pending": report["pending"]}  # fmt: skip


def _summary(figures: MessageFigures, calls: dict[str, int]) -> str:
    """The sentence the page's live region reads out when it changes."""
    sent = figures.push.sent + figures.sms.sent + calls["sent"]
    waiting = figures.pending - int(figures.planning)
    if figures.planning and not (figures.push.total or figures.sms.total or figures.voice.total):
        return _("Envoi en préparation : les destinataires sont en cours de calcul.")
    if figures.pending:
        return _("Envoi en cours : %(sent)s accepté(s) par les opérateurs, %(waiting)s en attente.") % {
            "sent": sent, "waiting": waiting}  # fmt: skip
    failed = figures.push.failed + figures.sms.failed + calls["failed"]
    return ngettext(
        "Envoi terminé : %(sent)s accepté(s) par les opérateurs, %(failed)s échec.",
        "Envoi terminé : %(sent)s accepté(s) par les opérateurs, %(failed)s échecs.",
        failed,
    ) % {"sent": sent, "failed": failed}
