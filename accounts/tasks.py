"""Periodic clean-up of sign-in data: personal data is kept no longer than needed."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from .models import OtpCode
from .staff_auth import purge_records

OTP_RETENTION = timedelta(days=1)


@shared_task
def purge_expired_otps() -> int:
    """Codes older than a day serve neither sign-in nor throttling: delete them."""
    deleted, _ = OtpCode.objects.filter(created_at__lt=timezone.now() - OTP_RETENTION).delete()
    return deleted


@shared_task
def purge_sign_in_records() -> int:
    """Dashboard and admin sign-in records (django-axes) go after AXES_RETENTION_DAYS."""
    return purge_records()
