"""`/api/bench/empty` and `/api/bench/list`: the bare stack's two endpoints (bare.py) served by the service itself under /api/,
through its middleware, token authentication (signed in, like the phone app) and throttles, without touching
anything else: what a request costs before an endpoint does any work."""

from django.urls import path

from bench.herd.rows import Empty, Rows
from vigilants.urls import urlpatterns as service

urlpatterns = [path("api/bench/empty", Empty.as_view()), path("api/bench/list", Rows.as_view()), *service]
