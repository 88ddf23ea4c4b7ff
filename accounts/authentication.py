"""`Authorization: Token <key>`: per-device tokens, looked up by hash."""

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.request import Request

from .models import AuthToken, User, hash_secret
from .token_lookup import ASKED_ATTRIBUTE, Asked, token_with_user_and


class DeviceTokenAuthentication(TokenAuthentication):
    keyword = "Token"
    _asked: Asked | None = None

    def authenticate(self, request: Request) -> tuple[User, AuthToken] | None:
        # DRF makes one authenticator per request: what the view asked with the token (token_lookup.Also).
        found = getattr(request, ASKED_ATTRIBUTE, None)
        self._asked = found if isinstance(found, Asked) else None
        return super().authenticate(request)

    def authenticate_credentials(self, key: str) -> tuple[User, AuthToken]:
        asked = self._asked
        token, value = token_with_user_and(hash_secret(key), asked.also if asked else None)
        if asked is not None and token is not None:
            asked.answered, asked.value = True, value
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Jeton invalide ou révoqué."))
        now = timezone.now()
        # Write the last-use time at most once a minute: a busy phone must not write on every request.
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            AuthToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class SignedInHttpRequest(HttpRequest):
    """A request to a Django view that lets only signed-in people in (the dashboards' login): its user is a User."""

    user: User


def signed_in(request: Request) -> User:
    """The person behind an API request that authentication let through (IsAuthenticated, the default)."""
    user = request.user
    if not user.is_authenticated:
        raise exceptions.NotAuthenticated()
    return user
