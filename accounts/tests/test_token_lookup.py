"""The token lookup composed once gives what the ORM's select_related gives, field by field and type by type."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuthToken, User, hash_secret
from accounts.token_lookup import token_with_user

pytestmark = pytest.mark.django_db


def fields(instance: Any) -> dict[str, tuple[Any, type]]:
    return {f.attname: (getattr(instance, f.attname), type(getattr(instance, f.attname)))
            for f in instance._meta.concrete_fields}  # fmt: skip


def test_it_equals_the_orms_token_and_user() -> None:
    user = User.objects.create_user("+33612345678", display_name="Élise Martin")
    User.objects.filter(pk=user.pk).update(last_login=timezone.now() - timedelta(days=2))
    token, key = AuthToken.objects.issue(user, "Pixel 8")
    AuthToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    expected = AuthToken.objects.select_related("user").get(pk=token.pk)

    with CaptureQueriesContext(connection) as queries:
        found = token_with_user(hash_secret(key))
        assert found is not None
        assert fields(found) == fields(expected)
        assert fields(found.user) == fields(expected.user)
    assert len(queries) == 1  # the user came with the token
    assert str(found.user.phone) == "+33612345678" and found.user.phone.is_valid()
    assert found.last_used_at is not None and found.last_used_at.tzinfo is not None
    assert found.pk == token.pk and not found._state.adding and found._state.db == "default"


def test_an_unknown_key_finds_nothing() -> None:
    user = User.objects.create_user("+33612345679")
    AuthToken.objects.issue(user)
    assert token_with_user(hash_secret("not-a-key")) is None
