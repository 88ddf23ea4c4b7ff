"""`/bench/bare`: a DRF view answering 20 communes from memory, through the same middleware, authentication
and throttles as the commune endpoints: the stack's own cost, against which theirs is measured."""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from vigilants.urls import urlpatterns as project

ROWS = [
    {"insee": f"06{i:03d}", "name": f"Commune {i}", "type": "COM", "departement": "06", "postal_codes": ["06000"],
     "population": 1000 + i, "latitude": 43.7, "longitude": 7.1, "enrolled": False}
    for i in range(20)
]  # fmt: skip


class Bare(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"count": len(ROWS), "next": None, "previous": None, "results": ROWS})


urlpatterns = [path("bench/bare", Bare.as_view()), *project]
