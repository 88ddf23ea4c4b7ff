"""The moderation pages: the inbox, the queue, one report and its actions.

Access comes first (`desk_page`), then the method: nobody learns more from a wrong method than from a wrong address.
Each decision is a POST to its own address, through `alerts.services` as the API's are. It answers with a redirect
and a French message (POST-redirect-GET), or with the report's page again, status 400, the form's errors shown and
nothing changed: the services refuse inside their transaction, so a refusal leaves the database as it was.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.authentication import SignedInHttpRequest
from alerts import services
from alerts.models import Alert, AlertStatus
from communes.models import Commune
from notifications.health import DELAY_REASONS
from notifications.models import MessageSource
from notifications.services import delivery_report

from ..access import desk_page
from .forms import SERVICE_ERRORS, ActionForm, ApproveForm, CloseForm, EditForm, ErratumForm, FollowUpForm, RejectForm
from .inbox import inbox
from .queries import QUEUE_PAGE_SIZE, Flag, flags, open_published, pending_queue, report_map, report_or_404

Act = Callable[[], str]  # makes the decision through a service; returns the success message


@dataclass(frozen=True)
class QueueRow:
    alert: Alert
    flags: list[Flag]


@desk_page()
@require_safe
def inbox_page(request: SignedInHttpRequest, commune: Commune) -> HttpResponse:
    return render(request, "desk/moderation/inbox.html", {"commune": commune, "inbox": inbox(commune)})


@desk_page(reports=True)
@require_safe
def queue_page(request: SignedInHttpRequest, commune: Commune) -> HttpResponse:
    page = Paginator(pending_queue(commune), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    alerts = list(page.object_list)
    caption = _("Position des signalements de cette page")
    return render(request, "desk/moderation/queue.html", {
        "commune": commune, "page": page, "rows": [QueueRow(alert, flags(alert)) for alert in alerts],
        "map": report_map(commune, alerts, caption), "published": open_published(commune),
    })  # fmt: skip


@desk_page(reports=True)
@require_safe
def report_page(request: SignedInHttpRequest, commune: Commune, pk: int) -> HttpResponse:
    return _render_report(request, commune, report_or_404(commune, pk))


def _action_forms(alert: Alert) -> dict[str, ActionForm]:
    """The actions the report's state allows (the services decide; the page only offers what can succeed)."""
    if alert.status == AlertStatus.PENDING:
        return {"approve": ApproveForm(), "edit": EditForm(alert=alert), "reject": RejectForm()}
    if alert.status == AlertStatus.APPROVED and alert.closed_at is None:
        return {"close": CloseForm(), "erratum": ErratumForm()}
    return {}


def _render_report(
    request: SignedInHttpRequest, commune: Commune, alert: Alert, failed: ActionForm | None = None
) -> HttpResponse:
    forms = _action_forms(alert)
    if failed is not None and failed.action in forms:
        forms[failed.action] = failed
    deliveries = delivery_report(MessageSource.ALERT, alert.pk) if alert.status == AlertStatus.APPROVED else None
    delay = deliveries and deliveries["delay_reason"]
    return render(request, "desk/moderation/report.html", {
        "commune": commune, "alert": alert, "flags": flags(alert), "forms": forms, "failed": failed,
        "map": report_map(commune, [alert], _("Position signalée")), "followups": list(alert.followups.all()),
        "deliveries": deliveries, "delivery_delay": str(DELAY_REASONS[delay]) if delay else None,
    }, status=400 if failed is not None else 200)  # fmt: skip


def _act(request: SignedInHttpRequest, commune: Commune, alert: Alert, form: ActionForm, act: Act, done_url: str) -> HttpResponse:
    if form.is_valid():
        try:
            done = act()
        except SERVICE_ERRORS as error:
            form.add_service_error(error)
        else:
            messages.success(request, done)
            return redirect(done_url)
    # Read again: the refusal may come from a decision taken meanwhile by someone else, which the page must show.
    return _render_report(request, commune, report_or_404(commune, alert.pk), failed=form)


def _queue_url(commune: Commune) -> str:
    return reverse("desk:queue", args=[commune.insee])


def _report_url(commune: Commune, alert: Alert) -> str:
    return reverse("desk:report", args=[commune.insee, alert.pk])


@desk_page(reports=True)
@require_POST
def approve(request: SignedInHttpRequest, commune: Commune, pk: int) -> HttpResponse:
    alert = report_or_404(commune, pk)

    def act() -> str:
        services.alert_approve(alert=alert, actor=request.user)
        return _("Signalement n° %(number)s publié : les membres de la commune sont prévenus.") % {"number": alert.pk}

    return _act(request, commune, alert, ApproveForm(request.POST), act, _queue_url(commune))


@desk_page(reports=True)
@require_POST
def reject(request: SignedInHttpRequest, commune: Commune, pk: int) -> HttpResponse:
    alert = report_or_404(commune, pk)
    form = RejectForm(request.POST)

    def act() -> str:
        services.alert_reject(alert=alert, actor=request.user, reason=form.cleaned_data["reason"])
        return _("Signalement n° %(number)s refusé : la personne qui l’a envoyé lira votre motif.") % {"number": alert.pk}

    return _act(request, commune, alert, form, act, _queue_url(commune))


@desk_page(reports=True)
@require_POST
def edit(request: SignedInHttpRequest, commune: Commune, pk: int) -> HttpResponse:
    """« Enregistrer », or « Enregistrer et publier » (the `publish` button): the edits and the publication together,
    or neither."""
    alert = report_or_404(commune, pk)
    form = EditForm(request.POST, alert=alert)

    def act() -> str:
        changes = form.changes()
        with transaction.atomic():
            if changes:
                services.alert_update(alert=alert, actor=request.user, **changes)
            if form.publish:
                services.alert_approve(alert=alert, actor=request.user)
        if form.publish:
            return _("Signalement n° %(number)s modifié et publié : les membres de la commune sont prévenus.") % {
                "number": alert.pk
            }
        return _("Modifications du signalement n° %(number)s enregistrées.") % {"number": alert.pk}

    done_url = _queue_url(commune) if form.publish else _report_url(commune, alert)
    return _act(request, commune, alert, form, act, done_url)


def _follow_up(request: SignedInHttpRequest, commune: Commune, pk: int, form: FollowUpForm, done: str) -> HttpResponse:
    alert = report_or_404(commune, pk)

    def act() -> str:
        services.followup_create(alert=alert, actor=request.user, kind=form.kind, body=form.cleaned_data["body"])
        return done % {"number": alert.pk}

    return _act(request, commune, alert, form, act, _report_url(commune, alert))


@desk_page(reports=True)
@require_POST
def close(request: SignedInHttpRequest, commune: Commune, pk: int) -> HttpResponse:
    done = _("Fin d’alerte envoyée pour le signalement n° %(number)s : l’alerte est close.")
    return _follow_up(request, commune, pk, CloseForm(request.POST), done)


@desk_page(reports=True)
@require_POST
def erratum(request: SignedInHttpRequest, commune: Commune, pk: int) -> HttpResponse:
    done = _("Rectificatif envoyé aux membres pour le signalement n° %(number)s.")
    return _follow_up(request, commune, pk, ErratumForm(request.POST), done)
