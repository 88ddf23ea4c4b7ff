"""The audit log cannot be emptied by the database's back door either (TRUNCATE skips row triggers)."""

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEntry
from communes.models import Membership
from conftest import Town, client_for


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_database_refuses_to_truncate_the_audit_log(saint_paul: Town) -> None:
    membership = Membership.objects.get(user=saint_paul.applicant)
    client_for(saint_paul.mayor).post(f"/api/v1/memberships/{membership.pk}/approve")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending: only the trigger refuses
        cursor.execute("SET LOCAL vigilants.audit_maintenance = 'off'")  # what every session of the service has
        cursor.execute("TRUNCATE audit_auditentry CASCADE")
    assert AuditEntry.objects.count() == 1
