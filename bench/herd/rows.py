"""The references' two endpoints, served by the bare stack (bare.py) and by the service (floor_urls.py): `{}`,
and twenty rows shaped like the service's alerts, from memory, paginated like the service's lists. Imported
once Django's settings are configured (DRF's views read them)."""

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

ROWS = [
    {"id": n, "commune": "99999", "kind": "report", "category": "vehicule_suspect", "title": f"Signalement {n}",
     "description": "Camionnette blanche qui tourne lentement dans le quartier, plaque partielle AB-12.",
     "latitude": 43.69, "longitude": 7.12, "occurred_at": "2026-12-05T03:12:00+01:00",
     "created_at": "2026-12-05T03:14:00+01:00", "status": "approved", "urgent": False, "confirmations_count": 2,
     "followups": []}
    for n in range(20)
]  # fmt: skip


class Empty(APIView):
    def get(self, request: Request) -> Response:
        return Response({})


class Rows(APIView):
    def get(self, request: Request) -> Response:
        return Response({"count": len(ROWS), "next": None, "previous": None, "results": ROWS})
