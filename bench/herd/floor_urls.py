"""`/bench/empty` and `/bench/list`: the bare stack's two endpoints (bare.py) served by the service itself,
through its middleware, token authentication (signed in, like the phone app) and throttles, without touching
anything else: what a request costs before an endpoint does any work."""

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.herd.rows import ROWS
from vigilants.urls import urlpatterns as service


class Empty(APIView):
    def get(self, request: Request) -> Response:
        return Response({})


class Rows(APIView):
    def get(self, request: Request) -> Response:
        return Response({"count": len(ROWS), "next": None, "previous": None, "results": ROWS})


urlpatterns = [path("bench/empty", Empty.as_view()), path("bench/list", Rows.as_view()), *service]
