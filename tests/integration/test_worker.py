"""A real worker process on real Redis runs the project's tasks against the database."""

import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import OtpCode
from accounts.tasks import purge_expired_otps

from .conftest import wait_until

pytestmark = pytest.mark.integration


def test_it_runs_a_periodic_task_in_a_real_worker(celery_worker: subprocess.Popen) -> None:
    old = timezone.now() - timedelta(days=2)
    OtpCode.objects.create(phone="+33612345678", code_hash="x", created_at=old, expires_at=old)
    fresh = OtpCode.objects.create(phone="+33612345678", code_hash="y", expires_at=timezone.now())
    purge_expired_otps.delay()
    wait_until(lambda: OtpCode.objects.count() == 1)
    assert OtpCode.objects.get().pk == fresh.pk
