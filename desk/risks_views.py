"""The commune's public warnings of risks on the desk: the threads, writing a warning (checked, previewed with its
reach and SMS cost, then sent), a thread's page with its update and its end, the State's vigilance prompts, the
delegates and the rules.

Who may do what is the API's rule (risks.access): the commune's moderators read; its mayors, the referents a mayor
named and staff write; mayors alone name delegates and set the rules. Every write goes through risks.services,
which the API calls too; a refused form answers 400 with its French errors (409 when the thread or the prompt moved
on meanwhile) and changes nothing.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework.exceptions import APIException, ValidationError

from accounts.authentication import SignedInHttpRequest
from accounts.models import User
from communes.models import Commune, Membership, MembershipStatus, Role
from notifications.models import MessageSource
from notifications.services import call_minute_price, latest_figures, message_for_source, sms_segment_price
from risks.access import may_warn
from risks.models import Certainty, Hazard, Level, RiskWarning, Severity, Urgency, VigilanceChange, WarningDelegate
from risks.selectors import (
    latest_in_thread,
    latest_rows,
    open_vigilance,
    recent_vigilance,
    thread_rows,
    warning_status,
)
from risks.services import (
    content_of,
    delegate_grant,
    delegate_revoke,
    message_body,
    message_title,
    relayable,
    risk_policy,
    risk_policy_update,
    vigilance_dismiss,
    vigilance_draft,
    vigilance_relay,
    warning_end,
    warning_issue,
    warning_preview,
    warning_update,
)
from risks.territory import fanout_source
from vigilants.errors import Conflict

from .access import desk_page
from .risks_form import RiskForm, limits
from .warnings_views import DRAFT, DRAFT_SECONDS, REFRESH_SECONDS, SENDING, message_report_figures

PAGE_SIZE = 20
END_MAX = 2000  # the end's text: the API's EndSerializer


def end_text_error(text: str) -> str | None:
    """What is wrong with the reason given for ending a warning (one commune's or a group's), or None."""
    if not text:
        return _("Dites pourquoi l'avis prend fin.")
    return _("Au plus %(max)s caractères.") % {"max": END_MAX} if len(text) > END_MAX else None


def _ensure_may_warn(request: SignedInHttpRequest, commune: Commune) -> None:
    if not may_warn(request.user, commune):
        raise PermissionDenied(_("Les avis de risque sont émis par le maire et les référents qu'il a désignés."))


def _row(commune: Commune, pk: int) -> RiskWarning:
    """A row of one of the commune's threads (another commune's is a 404, as any object outside the desk's)."""
    return get_object_or_404(RiskWarning.objects.select_related("commune"), commune=commune, pk=pk)


# --- The threads ---------------------------------------------------------------------------------------------


@require_GET
@desk_page()
def risk_list(request: SignedInHttpRequest, commune: Commune) -> HttpResponse:
    threads = latest_rows(commune).select_related("group").prefetch_related("neighbourhoods").order_by("-sent_at", "-pk")
    page = Paginator(threads, PAGE_SIZE).get_page(request.GET.get("page"))
    sources = {row.pk: fanout_source(row) for row in page}  # a group's rows share their first commune's message
    figures = latest_figures(MessageSource.WARNING, list(sources.values()))
    rows = [(row, warning_status(row), figures.get(sources[row.pk])) for row in page]
    return render(request, "desk/risks/list.html", {
        "commune": commune, "page": page, "rows": rows, "may_warn": may_warn(request.user, commune),
        "prompts": open_vigilance(commune).count(), "hazards": Hazard.choices,
    })  # fmt: skip


@require_GET
@desk_page()
def risk_thread(request: SignedInHttpRequest, commune: Commune, pk: int) -> HttpResponse:
    """The thread of row `pk`: its rows newest first, the latest one's deliveries (refreshed by report.js)."""
    return _thread_page(request, _row(commune, pk))


def _thread_page(request: SignedInHttpRequest, row: RiskWarning, *, end_text: str = "",
                 end_errors: list[str] | None = None, status: int = 200) -> HttpResponse:  # fmt: skip
    rows = list(thread_rows(row).select_related("issued_by", "group").prefetch_related("neighbourhoods"))
    latest = rows[-1]
    return render(request, "desk/risks/thread.html", {
        "commune": row.commune, "latest": latest, "rows": rows[::-1], "status": warning_status(latest),
        "report": message_report_figures(message_for_source(MessageSource.WARNING, fanout_source(latest))),
        "refresh_seconds": REFRESH_SECONDS, "may_warn": may_warn(request.user, row.commune), "end_text": end_text,
        "end_errors": end_errors or [], "end_max": END_MAX,
    }, status=status)  # fmt: skip


@require_GET
@desk_page()
def risk_report(request: SignedInHttpRequest, commune: Commune, pk: int) -> JsonResponse:
    """The thread's latest message's figures, polled by desk/static/desk/report.js while anything is pending."""
    latest = latest_in_thread(_row(commune, pk))
    return JsonResponse(message_report_figures(message_for_source(MessageSource.WARNING, fanout_source(latest))))


@require_POST
@desk_page()
def risk_end(request: SignedInHttpRequest, commune: Commune, pk: int) -> HttpResponse:
    """The end of the thread whose latest row is `pk` (409 if it was updated or ended meanwhile)."""
    _ensure_may_warn(request, commune)
    row = _row(commune, pk)
    text = request.POST.get("text", "").strip()
    if error := end_text_error(text):
        return _thread_page(request, row, end_text=text, end_errors=[error], status=400)
    try:
        end = warning_end(previous=row, actor=request.user, text=text)
    except Conflict as refused:
        return _thread_page(request, row, end_text=text, end_errors=[str(refused.detail)], status=409)
    messages.success(request, _("La fin de l'avis part vers les habitants : elle remplace l'avis sur leurs téléphones."))
    return redirect("desk:risk", commune.insee, end.pk)


# --- Writing: a new warning, an update, a relayed vigilance ---------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What the form writes: a new warning, the update of `previous`, or the relay of `change`."""

    action: str  # the form's URL
    previous: RiskWarning | None = None
    change: VigilanceChange | None = None


@require_http_methods(["GET", "POST"])
@desk_page()
def risk_new(request: SignedInHttpRequest, commune: Commune) -> HttpResponse:
    """GET: the form (`?hazard=&level=` pre-fill the instructions, `?vigilance=` a prompt's draft). POST: checked,
    then previewed (nothing sent); "Envoyer" on the preview sends it."""
    _ensure_may_warn(request, commune)
    change = _vigilance_asked(request, commune)
    target = Target(action=reverse("desk:risk-new", args=[commune.insee]), change=change)
    if request.method == "POST":
        return _posted(request, RiskForm.posted(commune, request.POST), target)
    if change is not None:
        if not relayable(change):  # the vigilance was lifted: nothing to pre-fill
            messages.info(request, _("Cette vigilance est levée : il n'y a rien à relayer."))
            return redirect("desk:risk-vigilance", commune.insee, change.pk)
        return _compose(request, RiskForm.of(commune, vigilance_draft(change)), target)
    return _compose(request, RiskForm.blank(commune, request.GET.get("hazard"), request.GET.get("level")), target)


@require_http_methods(["GET", "POST"])
@desk_page()
def risk_update(request: SignedInHttpRequest, commune: Commune, pk: int) -> HttpResponse:
    """The update of the thread whose latest row is `pk`, pre-filled with it."""
    _ensure_may_warn(request, commune)
    previous = _row(commune, pk)
    target = Target(action=reverse("desk:risk-update", args=[commune.insee, previous.pk]), previous=previous)
    if request.method == "POST":
        return _posted(request, RiskForm.posted(commune, request.POST), target)
    latest = latest_in_thread(previous)
    if latest.pk != previous.pk:  # an older row's link: the update starts from what is in force
        return redirect("desk:risk-update", commune.insee, latest.pk)
    if warning_status(latest) == "ended":
        messages.info(request, _("Cet avis est terminé : émettez un nouvel avis."))
        return redirect("desk:risk", commune.insee, latest.pk)
    return _compose(request, RiskForm.of(commune, content_of(latest)), target)


def _vigilance_asked(request: SignedInHttpRequest, commune: Commune) -> VigilanceChange | None:
    """The prompt a relay starts from (`vigilance`, in the link or the form), one of the commune's, or a 404."""
    value = request.POST.get("vigilance") if request.method == "POST" else request.GET.get("vigilance")
    if not value:
        return None
    if not value.isdigit():
        raise Http404(_("Vigilance inconnue."))
    return get_object_or_404(VigilanceChange.objects.select_related("commune"), commune=commune, pk=int(value))


def _posted(request: SignedInHttpRequest, form: RiskForm, target: Target) -> HttpResponse:
    step = request.POST.get("step")
    if step == "instructions":  # "Proposer les consignes": the ready text of the hazard and level chosen
        form.refill_instruction()
        return _compose(request, form, target)
    if step == "edit":  # back from the preview, as typed
        return _compose(request, form, target)
    if not form.is_valid():
        return _compose(request, form, target, status=400)
    if step == "send":
        return _send(request, form, target)
    return _preview(request, form, target)


def _compose(request: SignedInHttpRequest, form: RiskForm, target: Target, status: int = 200) -> HttpResponse:
    return render(request, "desk/risks/compose.html", {
        "commune": form.commune, "form": form, "target": target, "limits": limits(),
        "neighbourhoods": form.commune.neighbourhoods.order_by("name"), "hazards": Hazard.choices,
        "levels": Level.choices, "cap": _cap_choices(),
    }, status=status)  # fmt: skip


def _cap_choices() -> dict[str, list[tuple[str, Any]]]:
    return {"severity": Severity.choices, "urgency": Urgency.choices, "certainty": Certainty.choices}


def _preview(request: SignedInHttpRequest, form: RiskForm, target: Target, *, unconfirmed: bool = False) -> HttpResponse:
    content = form.valid_content
    try:
        preview = warning_preview(commune=form.commune, actor=request.user, content=content, previous=target.previous)
    except ValidationError as refused:  # the clock, the area inside the commune
        form.add_errors(refused.detail)
        return _compose(request, form, target, status=400)
    draft = RiskWarning(commune=form.commune, msg_type="Update" if target.previous else "Alert", hazard=content.hazard,
                        level=content.level, title=content.title, description=content.description,
                        instruction=content.instruction, expires_at=content.expires_at)  # fmt: skip
    return render(request, "desk/risks/preview.html", {
        "commune": form.commune, "form": form, "target": target, "preview": preview, "draft": uuid.uuid4().hex,
        "price": sms_segment_price(), "call_price": call_minute_price(), "push_title": message_title(draft),
        "push_body": message_body(draft),
        "red": content.level == Level.RED, "unconfirmed": unconfirmed, "hazard_label": Hazard(content.hazard).label,
    })  # fmt: skip


def _send(request: SignedInHttpRequest, form: RiskForm, target: Target) -> HttpResponse:
    token = request.POST.get("draft", "")
    if not DRAFT.fullmatch(token):  # not from a preview: show it first
        return _preview(request, form, target, unconfirmed=True)
    key = f"desk:risk-draft:{request.user.pk}:{token}"
    if not cache.add(key, SENDING, timeout=DRAFT_SECONDS):
        return _already_sent(request, form.commune, cache.get(key))
    try:
        warning = _write(request.user, form, target)
    except ValidationError as refused:
        cache.delete(key)
        form.add_errors(refused.detail)
        return _compose(request, form, target, status=400)
    except Conflict as refused:  # the thread was updated or ended, or the prompt decided, meanwhile
        cache.delete(key)
        form.add_refusal(str(refused.detail))
        return _compose(request, form, target, status=409)
    except Exception:
        cache.delete(key)  # nothing was sent: the mayor may try again
        raise
    cache.set(key, warning.pk, timeout=DRAFT_SECONDS)
    messages.success(request, _("L'avis part vers les habitants et les abonnés : les chiffres ci-dessous suivent son envoi."))
    return redirect("desk:risk", form.commune.insee, warning.pk)


def _write(actor: User, form: RiskForm, target: Target) -> RiskWarning:
    content = form.valid_content.as_fields()
    if target.change is not None:
        return vigilance_relay(change=target.change, actor=actor, **content)
    if target.previous is not None:
        return warning_update(previous=target.previous, actor=actor, **content)
    return warning_issue(commune=form.commune, actor=actor, **content)


def _already_sent(request: SignedInHttpRequest, commune: Commune, sent: Any) -> HttpResponse:
    messages.info(request, _("Cet avis a déjà été envoyé : il ne part qu'une fois."))
    if isinstance(sent, int) and sent != SENDING:
        return redirect("desk:risk", commune.insee, sent)
    return redirect("desk:risks", commune.insee)


# --- The State's vigilance -----------------------------------------------------------------------------------


def _change(commune: Commune, pk: int) -> VigilanceChange:
    queryset = VigilanceChange.objects.select_related("commune", "relayed_as")
    return get_object_or_404(queryset, commune=commune, pk=pk)


@require_GET
@desk_page()
def vigilance_list(request: SignedInHttpRequest, commune: Commune) -> HttpResponse:
    return render(request, "desk/risks/vigilance_list.html", {
        "commune": commune, "open": list(open_vigilance(commune)[:50]), "recent": list(recent_vigilance(commune)[:100]),
        "may_warn": may_warn(request.user, commune),
    })  # fmt: skip


@require_GET
@desk_page()
def vigilance_detail(request: SignedInHttpRequest, commune: Commune, pk: int) -> HttpResponse:
    """Where the prompt's link leads: what rose, the warning it pre-fills, and the decisions."""
    return _vigilance_page(request, _change(commune, pk))


def _vigilance_page(request: SignedInHttpRequest, change: VigilanceChange, *, error: str = "",
                    status: int = 200) -> HttpResponse:  # fmt: skip
    decision = getattr(change, "decision", None)
    undecided = decision is None and change.relayed_as_id is None
    draft = vigilance_draft(change) if undecided and relayable(change) else None
    return render(request, "desk/risks/vigilance.html", {
        "commune": change.commune, "change": change, "decision": decision, "draft": draft,
        "may_warn": may_warn(request.user, change.commune), "error": error,
        "is_open": open_vigilance(change.commune).filter(pk=change.pk).exists(),
    }, status=status)  # fmt: skip


@require_POST
@desk_page()
def vigilance_relay_now(request: SignedInHttpRequest, commune: Commune, pk: int) -> HttpResponse:
    """The one-step relay: the pre-filled warning, as it is (409 if someone decided meanwhile)."""
    _ensure_may_warn(request, commune)
    change = _change(commune, pk)
    try:
        warning = vigilance_relay(change=change, actor=request.user)
    except (Conflict, ValidationError) as refused:
        status = 409 if isinstance(refused, Conflict) else 400
        return _vigilance_page(request, change, error=_refusal(refused), status=status)
    messages.success(request, _("La vigilance est relayée aux habitants et aux abonnés."))
    return redirect("desk:risk", commune.insee, warning.pk)


@require_POST
@desk_page()
def vigilance_dismiss_now(request: SignedInHttpRequest, commune: Commune, pk: int) -> HttpResponse:
    _ensure_may_warn(request, commune)
    change = _change(commune, pk)
    try:
        vigilance_dismiss(change=change, actor=request.user)
    except Conflict as refused:
        return _vigilance_page(request, change, error=_refusal(refused), status=409)
    messages.success(request, _("C'est noté : cette vigilance n'est pas relayée. La décision est inscrite au journal."))
    return redirect("desk:risk-vigilance-list", commune.insee)


def _refusal(error: APIException) -> str:
    detail = error.detail
    if isinstance(detail, dict):
        return " ".join(str(message) for messages_ in detail.values() for message in _as_list(messages_))
    return " ".join(str(message) for message in _as_list(detail))


def _as_list(detail: Any) -> list[Any]:
    return list(detail) if isinstance(detail, list | tuple) else [detail]


# --- Delegates and rules (mayors) ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@desk_page(mayor_only=True)
def delegates(request: SignedInHttpRequest, commune: Commune) -> HttpResponse:
    """The referents who may issue warnings; POST `user` names one more."""
    if request.method == "GET":
        return _delegates_page(request, commune)
    candidate = _candidate(commune, request.POST.get("user", ""))
    if candidate is None:
        return _delegates_page(request, commune, error=_("Choisissez un référent de la commune."), status=400)
    try:
        delegate_grant(commune=commune, actor=request.user, user=candidate)
    except (Conflict, ValidationError) as refused:
        status = 409 if isinstance(refused, Conflict) else 400
        return _delegates_page(request, commune, error=_refusal(refused), status=status)
    messages.success(request, _("%(name)s peut désormais émettre les avis de risque.") % {"name": _name(candidate)})
    return redirect("desk:risk-delegates", commune.insee)


@require_POST
@desk_page(mayor_only=True)
def delegate_revoke_view(request: SignedInHttpRequest, commune: Commune, user: int) -> HttpResponse:
    delegate = get_object_or_404(WarningDelegate.objects.select_related("user"), commune=commune, user_id=user)
    delegate_revoke(delegate=delegate, actor=request.user)
    messages.success(request, _("%(name)s n'émet plus les avis de risque.") % {"name": _name(delegate.user)})
    return redirect("desk:risk-delegates", commune.insee)


def _candidate(commune: Commune, value: str) -> User | None:
    if not value.isdigit():
        return None
    membership = _referents(commune).filter(user_id=int(value)).select_related("user").first()
    return membership.user if membership is not None else None


def _referents(commune: Commune) -> Any:
    return Membership.objects.filter(commune=commune, status=MembershipStatus.APPROVED, role=Role.REFERENT)


def _name(user: User) -> str:
    return user.display_name or _("Membre n° %(id)s") % {"id": user.pk}


def _delegates_page(request: SignedInHttpRequest, commune: Commune, *, error: str = "",
                    status: int = 200) -> HttpResponse:  # fmt: skip
    current = list(WarningDelegate.objects.filter(commune=commune).select_related("user", "granted_by"))
    referents = set(_referents(commune).values_list("user_id", flat=True))
    taken = {delegate.user_id for delegate in current}
    candidates = _referents(commune).exclude(user_id__in=taken).select_related("user").order_by("user__display_name")
    return render(request, "desk/risks/delegates.html", {
        "commune": commune, "delegates": [(d, d.user_id in referents) for d in current],
        "candidates": [m.user for m in candidates], "error": error,
    }, status=status)  # fmt: skip


@require_http_methods(["GET", "POST"])
@desk_page(mayor_only=True)
def policy(request: SignedInHttpRequest, commune: Commune) -> HttpResponse:
    """Whether a red vigilance is relayed to residents at once, without waiting for a person."""
    if request.method == "POST":
        relay = request.POST.get("relay_red_automatically") in ("on", "true", "1")
        risk_policy_update(commune=commune, actor=request.user, relay_red_automatically=relay)
        messages.success(request, _("Les règles des avis de risque sont enregistrées."))
        return redirect("desk:risk-policy", commune.insee)
    return render(request, "desk/risks/policy.html", {"commune": commune, "policy": risk_policy(commune)})

