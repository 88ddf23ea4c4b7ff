"""Approving and rejecting memberships never changes who moderates: roles are the mayor's, through PATCH."""

import contextlib
import threading
from typing import Any

import pytest
from django.db import connection
from rest_framework.exceptions import PermissionDenied

from audit.models import AuditEntry
from communes import services
from communes.models import Membership, Role
from conftest import Town, client_for
from tests.factories import MembershipFactory, UserFactory
from vigilants.errors import Conflict


def second_mayor(town: Town) -> Membership:
    return MembershipFactory.create(commune=town.commune, role=Role.MAYOR, user=UserFactory.create())


def mayors(town: Town) -> int:
    return Membership.objects.filter(commune=town.commune, role=Role.MAYOR, status="approved").count()


@pytest.mark.django_db
def test_a_referent_cannot_remove_a_mayor_nor_give_the_role_back(saint_paul: Town) -> None:
    other = second_mayor(saint_paul)
    referent = client_for(saint_paul.referent)
    assert referent.post(f"/api/v1/memberships/{other.pk}/reject", {"reason": "Plus adjoint"}).status_code == 403
    assert Membership.objects.get(pk=other.pk).status == "approved"
    # A mayor excluded earlier, by whatever path: a referent does not bring them back either.
    Membership.objects.filter(pk=other.pk).update(status="rejected")
    assert referent.post(f"/api/v1/memberships/{other.pk}/approve").status_code == 403
    assert Membership.objects.get(pk=other.pk).status == "rejected"
    assert not AuditEntry.objects.filter(action__startswith="membership.").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["other_referent", "self"])
def test_a_referent_cannot_reject_a_referent(saint_paul: Town, target: str) -> None:
    if target == "self":
        membership = Membership.objects.get(user=saint_paul.referent)
    else:
        membership = MembershipFactory.create(commune=saint_paul.commune, role=Role.REFERENT, user=UserFactory.create())
    response = client_for(saint_paul.referent).post(f"/api/v1/memberships/{membership.pk}/reject", {"reason": "x"})
    assert response.status_code == 403
    assert Membership.objects.get(pk=membership.pk).status == "approved"


@pytest.mark.django_db
def test_a_referent_still_decides_on_residents(saint_paul: Town) -> None:
    referent = client_for(saint_paul.referent)
    applicant = Membership.objects.get(user=saint_paul.applicant)
    assert referent.post(f"/api/v1/memberships/{applicant.pk}/approve").json()["role"] == "resident"
    resident = Membership.objects.get(user=saint_paul.resident)
    assert referent.post(f"/api/v1/memberships/{resident.pk}/reject", {"reason": "A déménagé"}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["mayor", "staff"])
def test_a_rejected_moderator_comes_back_as_a_resident(saint_paul: Town, staff: Any, actor: str) -> None:
    other = second_mayor(saint_paul)
    client = client_for(staff if actor == "staff" else saint_paul.mayor)
    rejected = client.post(f"/api/v1/memberships/{other.pk}/reject", {"reason": "Fin de mandat"})
    assert (rejected.status_code, rejected.json()["status"], rejected.json()["role"]) == (200, "rejected", "resident")
    entry = AuditEntry.objects.get(action="membership.rejected")
    assert entry.before is not None and entry.after is not None
    assert (entry.before["role"], entry.after["role"]) == ("mayor", "resident")
    approved = client.post(f"/api/v1/memberships/{other.pk}/approve")
    assert (approved.status_code, approved.json()["role"]) == (200, "resident")
    assert mayors(saint_paul) == 1


@pytest.mark.django_db
def test_approving_a_rejected_row_that_still_says_mayor_gives_a_resident(saint_paul: Town) -> None:
    # Rows rejected before the rule still carry their old role: approval never restores it.
    other = second_mayor(saint_paul)
    Membership.objects.filter(pk=other.pk).update(status="rejected")
    approved = client_for(saint_paul.mayor).post(f"/api/v1/memberships/{other.pk}/approve")
    assert (approved.status_code, approved.json()["role"]) == (200, "resident")
    assert mayors(saint_paul) == 1


@pytest.mark.django_db
def test_the_last_mayor_cannot_be_rejected(saint_paul: Town, staff: Any) -> None:
    own = Membership.objects.get(user=saint_paul.mayor)
    assert client_for(saint_paul.mayor).post(f"/api/v1/memberships/{own.pk}/reject", {"reason": "x"}).status_code == 409
    assert client_for(staff).post(f"/api/v1/memberships/{own.pk}/reject", {"reason": "x"}).status_code == 409
    assert mayors(saint_paul) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["reject", "demote", "leave"])
def test_two_mayors_removing_each_other_at_once_leave_one(saint_paul: Town, monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    first, second = Membership.objects.get(user=saint_paul.mayor), second_mayor(saint_paul)
    barrier, outcomes = threading.Barrier(2, timeout=1.5), []
    counted = services._mayors_left_without

    def count_then_wait(membership: Membership) -> int:
        # Each side counts the other mayor, then waits for the other side to have counted too.
        left = counted(membership)
        with contextlib.suppress(threading.BrokenBarrierError):  # the other side is held by a lock: the fix
            barrier.wait()
        return left

    monkeypatch.setattr(services, "_mayors_left_without", count_then_wait)

    def remove(target: Membership, actor: Any) -> None:
        try:
            if path == "reject":
                services.membership_reject(membership=target, actor=actor, reason="x")
            elif path == "demote":
                services.membership_set_role(membership=target, actor=actor, role=Role.RESIDENT)
            else:
                services.membership_leave(membership=target, actor=actor)
            outcomes.append("done")
        except Conflict:
            outcomes.append("conflict")
        except PermissionDenied:  # excluded first, the other mayor is no longer one: refused, as well
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=remove, args=(second, first.user)),
               threading.Thread(target=remove, args=(first, second.user))]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 2 and outcomes.count("done") == 1, outcomes
    assert mayors(saint_paul) == 1
