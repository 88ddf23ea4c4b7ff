"""Browser sessions (dashboards, admin) end after SESSION_IDLE_TIMEOUT without a request, and after
SESSION_COOKIE_AGE in any case.

Django alone cannot do both: a session saved again is given a new expiry, so touching it on each request
would make its age slide. The two clocks are kept in the session instead. API tokens (Authorization
header) carry no session and are left alone.
"""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

STARTED_AT = "session_started_at"
SEEN_AT = "session_seen_at"
# The last-seen time is written at most this often: not one session write per request.
TOUCH_EVERY_SECONDS = 60


class SessionExpiryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _expired(request.session, int(time.time())):
            logout(request)
            messages.info(request, _("Votre session a expiré : reconnectez-vous."), fail_silently=True)
        response = self.get_response(request)
        _stamp(request.session, int(time.time()))
        return response


def _expired(session: SessionBase, now: int) -> bool:
    if SESSION_KEY not in session:
        return False
    seen, started = session.get(SEEN_AT), session.get(STARTED_AT)
    idle = seen is not None and now - seen > settings.SESSION_IDLE_TIMEOUT
    too_old = started is not None and now - started > settings.SESSION_COOKIE_AGE
    return idle or too_old


def restart_clocks(sender: object, request: HttpRequest | None, user: object, **kwargs: object) -> None:
    """user_logged_in: a new sign-in starts both clocks, even in a session kept from an earlier one."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[STARTED_AT] = request.session[SEEN_AT] = now


def _stamp(session: SessionBase, now: int) -> None:
    """Sessions opened before these clocks existed start them at their next request."""
    if SESSION_KEY not in session:
        return
    if STARTED_AT not in session:
        session[STARTED_AT] = now
    if now - session.get(SEEN_AT, 0) >= TOUCH_EVERY_SECONDS:
        session[SEEN_AT] = now
