"""Periodic clean-up: a refused request to join keeps an address nobody needs after a while (RGPD)."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import Membership, MembershipStatus


@shared_task
def purge_rejected_memberships() -> int:
    cutoff = timezone.now() - timedelta(days=settings.REJECTED_MEMBERSHIP_RETENTION_DAYS)
    deleted, _ = Membership.objects.filter(status=MembershipStatus.REJECTED, decided_at__lt=cutoff).delete()
    return deleted
