"""`Authorization: Token <key>`: per-device tokens, looked up by hash."""

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.request import Request

from . import signin_cache
from .models import AuthToken, User, hash_secret
from .token_lookup import ASKED_ATTRIBUTE, Asked, answer_for, token_with_user_and


class DeviceTokenAuthentication(TokenAuthentication):
    keyword = "Token"
    _asked: Asked | None = None
    _request: Request | None = None

    def authenticate(self, request: Request) -> tuple[User, AuthToken] | None:
        # DRF makes one authenticator per request: what the view asked with the token (token_lookup.Also), and
        # the request, whose read is counted with the kept token (signin_cache.read).
        found = getattr(request, ASKED_ATTRIBUTE, None)
        self._asked = found if isinstance(found, Asked) else None
        self._request = request
        return super().authenticate(request)

    def authenticate_credentials(self, key: str) -> tuple[User, AuthToken]:
        key_hash, asked = hash_secret(key), self._asked
        question = signin_cache.answer_field(asked.also.name, asked.also.params) if asked else None
        request = self._request
        kept = signin_cache.read(request, key_hash, question, signin_cache.asked_body(request)) if request else None
        if kept is not None and kept.token is not None:
            token = kept.token
            setattr(request, signin_cache.BODY_KEPT, kept.body)
            if asked is not None:
                value = kept.value if kept.answered else self._answer_now(key_hash, asked, question, token)
                asked.answered, asked.value = True, value
        else:
            token = self._from_database(key_hash, asked, question)
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Jeton invalide ou révoqué."))
        return token.user, token

    @staticmethod
    def _answer_now(key_hash: str, asked: Asked, question: bytes | None, token: AuthToken) -> object:
        value = answer_for(asked.also, token.user_id)
        if question is not None:
            signin_cache.store_answer(key_hash, question, value)
        return value

    @staticmethod
    def _from_database(key_hash: str, asked: Asked | None, question: bytes | None) -> AuthToken:
        token, value = token_with_user_and(key_hash, asked.also if asked else None)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Jeton invalide ou révoqué."))
        if asked is not None:
            asked.answered, asked.value = True, value
        now = timezone.now()
        # Write the last-use time at most once a minute (the kept token is read from here once a minute): a
        # busy phone must not write on every request.
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > signin_cache.KEEP_SECONDS:
            AuthToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        if token.user.is_active:
            signin_cache.store(key_hash, token, question, value)
        return token

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
