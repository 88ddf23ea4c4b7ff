"""Alerts API: report, list, read, moderate, follow up, broadcast, and the commune's policy."""

import builtins
from datetime import UTC, datetime
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle, ScopedRateThrottle
from rest_framework.views import APIView

from accounts.models import User
from accounts.read_first import NOTHING, ReadFirst, ReadsFirst
from communes import access
from notifications.models import MessageSource
from notifications.services import delivery_report
from vigilants.categories import Category

from . import pages, services
from .models import Alert, AlertStatus
from .selectors import disclosure_context, may_moderate, viewer, visible_alert, visible_alerts
from .serializers import (
    ROW_COLUMNS,
    AlertCreateSerializer,
    AlertSerializer,
    AlertUpdateSerializer,
    FollowUpSerializer,
    ReasonSerializer,
    alert_rows,
    withheld_view,
)

REPORT_GUIDANCE = (
    "**Crime ou délit en cours : appelez d'abord le 17 (ou le 112).** Ce signalement ne remplace pas un appel. "
    "Décrivez des faits et des comportements (tenue, véhicule, direction prise), jamais l'origine, la religion, "
    "la nationalité, la santé ou l'orientation sexuelle de quiconque : de tels textes sont refusés."
)


class InstantFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 instant compared with a stored one. Any instant Python reads is valid, and stored instants
    are well inside years 1-9999: clamped to that, the answer is the same, and SQLite (make run), which
    compares them in UTC, never overflows (0001-01-01T00:00:00+14:00 is in year 0 there)."""

    BOUNDS = (datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC))

    def filter(self, qs: QuerySet[Alert], value: datetime | None) -> QuerySet[Alert]:
        if value is not None and timezone.is_aware(value):  # the form field makes every instant aware
            value = min(max(value, self.BOUNDS[0]), self.BOUNDS[1])
        return super().filter(qs, value)


class AlertFilter(django_filters.FilterSet):
    commune = django_filters.CharFilter(field_name="commune__insee")
    status = django_filters.ChoiceFilter(choices=AlertStatus.choices)
    category = django_filters.ChoiceFilter(choices=Category.choices)
    since = InstantFilter(field_name="created_at", lookup_expr="gte")
    until = InstantFilter(field_name="created_at", lookup_expr="lt")
    departement = django_filters.CharFilter(field_name="commune__departement")
    kind = django_filters.CharFilter()

    class Meta:
        model = Alert
        fields = ["commune", "status", "category", "since", "until", "departement", "kind"]


class AlertList(ReadsFirst, generics.ListCreateAPIView[Alert]):
    """GET: newest first; `?status=pending` is the moderation queue, oldest first. POST: report."""

    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    throttle_scope = "alert_create"

    def get_throttles(self) -> list[BaseThrottle]:
        return [ScopedRateThrottle()] if self.request.method == "POST" else super().get_throttles()

    def read_first(self, request: Request, **kwargs: Any) -> ReadFirst:
        insee = pages.asked_commune(request)
        if not insee:
            return NOTHING
        # The herd's read: whether the reader shares the residents' page, with the token; the page with the count.
        return ReadFirst(pages.guessed_page_keys(request, insee), pages.resident_by_insee(insee))

    def get_queryset(self) -> QuerySet[Alert]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Alert.objects.none()
        queue = self.request.query_params.get("status") == AlertStatus.PENDING
        return visible_alerts(viewer(self.request)).order_by("created_at" if queue else "-created_at")

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), **disclosure_context(viewer(self.request))}

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A resident's page of their commune comes from the residents' shared copy when it is current
        (alerts/pages.py); the others, and a copy outdated, are read from the database."""
        shared = pages.shared_key(viewer(request), request)
        if shared is None:
            return self.get_paginated_response(self.page_rows())
        response = pages.cached(shared, request)
        if response is None:
            version = pages.current_version(shared[0])
            response = pages.keep(shared, version, self.get_paginated_response(self.page_rows()).data)
        return response

    def page_rows(self) -> "builtins.list[dict[str, Any]]":
        """Counted and paged on the alerts alone (ids), then only the page's rows read with their joins, as
        values, and represented without model instances (serializers.alert_rows)."""
        alerts = self.filter_queryset(self.get_queryset()).select_related(None).prefetch_related(None)
        ids = self.paginate_queryset(alerts.values_list("pk", flat=True)) or []
        rows = {row["id"]: row for row in Alert.objects.filter(pk__in=ids).values(*ROW_COLUMNS)}
        context = disclosure_context(viewer(self.request))
        return alert_rows([rows[pk] for pk in ids if pk in rows], context)

    @extend_schema(request=AlertCreateSerializer, responses={201: AlertSerializer, 200: AlertSerializer},
                   summary="Signaler un fait suspect", description=REPORT_GUIDANCE)  # fmt: skip
    def post(self, request: Request) -> Response:
        serializer = AlertCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        commune = fields.pop("commune")
        if not access.is_member(viewer(request), commune):
            raise PermissionDenied(_("Seuls les membres acceptés de la commune peuvent y signaler."))
        alert, confirmation = services.alert_create(reporter=viewer(request), commune=commune, **fields)
        if not confirmation:
            return Response(AlertSerializer(alert, context=disclosure_context(viewer(request))).data,
                            status=status.HTTP_201_CREATED)  # fmt: skip
        return Response({**confirmation_view(viewer(request), alert), "confirmation": True}, status=status.HTTP_200_OK)


def confirmation_view(user: User, alert: Alert) -> dict[str, Any]:
    """The alert a report was attached to, as the caller may see it: in full (as for GET) when it is visible
    to them, else withheld (a neighbour's pending report must not be read by confirming it)."""
    visible = visible_alert(user, alert.pk)
    if visible is None:
        return {**withheld_view(alert), "withheld": True}
    return {**AlertSerializer(visible, context=disclosure_context(user)).data, "withheld": False}


class AlertObjectView(APIView):
    """An alert's endpoints: found among those the caller may see (else 404), answered as they may see it."""

    def get_alert(self, pk: str) -> Alert:
        return get_object_or_404(visible_alerts(viewer(self.request)), pk=pk)

    def require_moderator(self, alert: Alert) -> None:
        if not may_moderate(viewer(self.request), alert):
            raise PermissionDenied(_("Réservé aux référents et au maire de la commune."))

    def respond(self, alert: Alert, code: int = status.HTTP_200_OK) -> Response:
        alert = visible_alerts(viewer(self.request)).get(pk=alert.pk)
        return Response(AlertSerializer(alert, context=disclosure_context(viewer(self.request))).data, status=code)


class AlertDetail(ReadsFirst, AlertObjectView):
    def read_first(self, request: Request, **kwargs: Any) -> ReadFirst:
        pk = int(kwargs["pk"])  # the route's digits; beyond a 64-bit id no alert exists (SQLite refuses to compare)
        if pk >= 2**63:
            return NOTHING
        # Whether the reader shares the alert's copy, with the token; the copy with the count.
        return ReadFirst(tuple(pages.alert_keys(pk)), pages.resident_by_alert(pk))

    @extend_schema(responses={200: AlertSerializer})
    def get(self, request: Request, pk: str) -> Response:
        """A resident reads the copy their commune's residents share (alerts/pages.py) while it is current."""
        user = viewer(request)
        shared = pages.shared_alert(user, request, int(pk))  # the route's digits
        if shared is not None:
            return shared
        rows = list(visible_alerts(user).filter(pk=pk).values(*ROW_COLUMNS))
        if not rows:
            raise Http404
        data = alert_rows(rows, disclosure_context(user))[0]
        return pages.keep_alert(user, request, rows[0], data) or Response(data)

    @extend_schema(request=AlertUpdateSerializer, responses={200: AlertSerializer}, summary="Modifier avant modération")
    def patch(self, request: Request, pk: str) -> Response:
        alert = self.get_alert(pk)
        if alert.reporter_id != viewer(request).pk:
            self.require_moderator(alert)
        serializer = AlertUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        return self.respond(services.alert_update(alert=alert, actor=viewer(request), **serializer.validated_data))


class AlertApprove(AlertObjectView):
    @extend_schema(request=None, responses={200: AlertSerializer}, summary="Publier (lance l'envoi aux membres)")
    def post(self, request: Request, pk: str) -> Response:
        alert = self.get_alert(pk)
        self.require_moderator(alert)
        return self.respond(services.alert_approve(alert=alert, actor=viewer(request)))


class AlertReject(AlertObjectView):
    @extend_schema(request=ReasonSerializer, responses={200: AlertSerializer}, summary="Refuser, avec un motif")
    def post(self, request: Request, pk: str) -> Response:
        alert = self.get_alert(pk)
        self.require_moderator(alert)
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self.respond(services.alert_reject(alert=alert, actor=viewer(request), **serializer.validated_data))


class AlertFollowUps(AlertObjectView):
    @extend_schema(request=FollowUpSerializer, responses={201: AlertSerializer}, summary="Fin d'alerte ou erratum")
    def post(self, request: Request, pk: str) -> Response:
        alert = self.get_alert(pk)
        self.require_moderator(alert)
        serializer = FollowUpSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.followup_create(alert=alert, actor=viewer(request), **serializer.validated_data)
        return self.respond(alert, status.HTTP_201_CREATED)


class AlertDeliveries(AlertObjectView):
    @extend_schema(responses={200: dict}, summary="Bilan d'envoi (push, SMS) de l'alerte")
    def get(self, request: Request, pk: str) -> Response:
        alert = self.get_alert(pk)
        self.require_moderator(alert)
        return Response(delivery_report(MessageSource.ALERT, alert.pk))
