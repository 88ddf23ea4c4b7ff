"""A person's export shows their delegations and the warnings they issued; erasure keeps the warnings, anonymous."""

import pytest

from accounts.rgpd import erase_user, export_user
from conftest import Town
from risks.models import RiskWarning, WarningDelegate
from risks.services import delegate_grant

from .helpers import issue

pytestmark = pytest.mark.django_db


def test_the_export_lists_delegations_and_warnings_issued(saint_paul: Town) -> None:
    delegate_grant(commune=saint_paul.commune, actor=saint_paul.mayor, user=saint_paul.referent)
    warning = issue(saint_paul, actor=saint_paul.referent)
    held = export_user(saint_paul.referent)["risks"]
    assert [d["commune"] for d in held["warning_delegations"]] == ["06128"]
    assert [(w["id"], w["title"]) for w in held["warnings_issued"]] == [(warning.pk, "Crue du Loup")]
    assert export_user(saint_paul.resident)["risks"] == {"warning_delegations": [], "warnings_issued": []}


def test_erasure_keeps_the_communes_warnings_without_their_author(saint_paul: Town) -> None:
    delegate_grant(commune=saint_paul.commune, actor=saint_paul.mayor, user=saint_paul.referent)
    warning = issue(saint_paul, actor=saint_paul.referent)
    erase_user(saint_paul.referent)
    warning.refresh_from_db()
    assert warning.issued_by is None and RiskWarning.objects.count() == 1
    assert not WarningDelegate.objects.exists()
