"""Push devices, SMS opt-outs, outbox jobs and one delivery row per (message, recipient, channel)."""

from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext_lazy as _


class Platform(models.TextChoices):
    ANDROID = "android", "Android"
    IOS = "ios", "iOS"
    WEB = "web", "Web"


class Device(models.Model):
    """An FCM registration token. A token belongs to one person at a time: re-registering moves it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices")
    fcm_token = models.CharField(max_length=4096, unique=True)
    platform = models.CharField(max_length=10, choices=Platform.choices)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deactivated_reason = models.CharField(max_length=60, blank=True)

    class Meta:
        verbose_name = _("appareil")
        verbose_name_plural = _("appareils")
        indexes = [models.Index(fields=["user", "active"], name="device_user_active")]

    def __str__(self) -> str:
        return f"{self.platform} #{self.pk}"


class InboundSms(models.Model):
    """The SID of each incoming SMS handled: a signed request replayed (an old START after a STOP) is ignored.

    Only the SID is kept, neither the number nor the text: enough to recognise a replay, nothing personal.
    """

    sid = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("SMS reçu")
        verbose_name_plural = _("SMS reçus")

    def __str__(self) -> str:
        return self.sid


class SmsOptOut(models.Model):
    """A number that answered STOP: no SMS goes to it until it answers START."""

    phone = models.CharField(max_length=20, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("désinscription SMS")
        verbose_name_plural = _("désinscriptions SMS")

    def __str__(self) -> str:
        return f"opt-out #{self.pk}"


def opted_out_numbers(user_ids: Sequence[int]) -> set[str]:
    """Which of these members' numbers answered STOP (their numbers by subquery, not as parameters)."""
    phones = get_user_model().objects.filter(pk__any=list(user_ids)).values("phone")
    return set(SmsOptOut.objects.filter(phone__in=phones).values_list("phone", flat=True))


class MessageKind(models.TextChoices):
    ALERT = "alert", _("alerte")
    BROADCAST = "broadcast", _("message de la mairie")
    FOLLOWUP = "followup", _("suite d'alerte")
    REMINDER = "reminder", _("rappel aux modérateurs")


class MessageSource(models.TextChoices):
    """What a message is about, named with its id in `source_id`: the key of its report and its push tag."""

    ALERT = "alert", _("alerte")  # an alert (a report or a broadcast) handed to sending
    ALERT_REMINDER = "alert-reminder", _("rappel d'une alerte en attente")  # to the mayors, about a pending report
    WARNING = "warning", _("avis de risque")  # a public warning (risks.RiskWarning): members and followers
    VIGILANCE = "vigilance", _("vigilance officielle")  # to the mayors and referents: the State's level rose
    # To a commune's mayors, before the public fan-out: a territory (or a partner commune) warned their commune.
    WARNING_NOTICE = "warning-notice", _("avis d'un territoire, aux maires")


class Audience(models.TextChoices):
    """Who a message goes to in its commune."""

    MEMBERS = "members", _("membres")  # the neighbourhood watch's approved members (reports, broadcasts)
    PUBLIC = "public", _("membres et abonnés")  # public warnings: members and followers, each person once


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("en file")  # written with the caller's transaction; planning not started
    PLANNING = "planning", _("planification")  # a worker holds the planning lease
    PLANNED = "planned", _("planifié")  # every delivery row exists
    CANCELLED = "cancelled", _("annulé")  # replaced by a follow-up before it was planned


class Channel(models.TextChoices):
    PUSH = "push", "Push"
    SMS = "sms", "SMS"
    VOICE = "voice", _("appel vocal")  # a call that speaks the message (notifications/voice.py)


class Message(models.Model):
    """The outbox row: the job itself. Written in the caller's transaction; a task plans it after commit."""

    commune = models.ForeignKey("communes.Commune", on_delete=models.CASCADE, related_name="messages")
    # A warning over several communes (risks.territory): every one of them, `commune` the first. Null: `commune`.
    commune_ids = models.JSONField(null=True, blank=True)
    kind = models.CharField(max_length=10, choices=MessageKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField()
    urgent = models.BooleanField(default=False)
    category = models.CharField(max_length=40, blank=True)
    neighbourhood_ids = models.JSONField(null=True, blank=True)  # null: the whole commune
    roles = models.JSONField(null=True, blank=True)  # null: every member; ["mayor"]: a reminder to the mayors
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.MEMBERS)
    # Pushes of one thread (a warning, its updates and its end) replace each other on the phone: one tag.
    # Empty: the tag is the source's own.
    thread_tag = models.CharField(max_length=64, blank=True)
    # A red warning: every channel each person has (their device and their number), whatever they chose.
    every_channel = models.BooleanField(default=False)
    channels = models.JSONField(default=list)  # subset of Channel values
    exclude_user_id = models.BigIntegerField(null=True, blank=True)  # the reporter: no FK, survives erasure
    source_type = models.CharField(max_length=30, blank=True, choices=MessageSource.choices)  # blank: none
    source_id = models.BigIntegerField(null=True, blank=True)
    replaces = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="followups")
    status = models.CharField(max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    # Keyset cursor: last membership id planned, so a re-run after a crash resumes where it stopped.
    plan_cursor = models.BigIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    planned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["source_type", "source_id"], name="message_source"),
            models.Index(
                fields=["created_at"],
                condition=models.Q(status__in=["queued", "planning"]),
                name="message_unplanned",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def collapse_key(self) -> str:
        """What the phone groups on: the thread (a warning, its updates and its end) or the source (the alert),
        so a follow-up replaces the original."""
        if self.thread_tag:
            return self.thread_tag
        if self.source_id:
            return f"{self.source_type}-{self.source_id}"
        if self.replaces_id and self.replaces is not None:
            return self.replaces.collapse_key
        return f"message-{self.pk}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("en attente")
    SENDING = "sending", _("en cours d'envoi")  # claimed for a provider call: the request may have left
    # An SMS that may have left (its worker died, or Twilio's answer was lost): Twilio's own record decides
    # whether it is resent (notifications/reconcile.py). A push is simply resent: its tag replaces it on the phone.
    CHECKING = "checking", _("vérification auprès du fournisseur")
    SENT = "sent", _("accepté par le fournisseur")
    DELIVERED = "delivered", _("remis")
    FAILED = "failed", _("échec")
    UNKNOWN = "unknown", _("inconnu")  # may or may not have gone and nobody can tell: never resent blindly
    CANCELLED = "cancelled", _("annulé")


ACTIVE_DELIVERY_STATUSES = [DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.CHECKING]
# Accepted by the provider: sent, and perhaps confirmed since (FCM never confirms).
REACHED_DELIVERY_STATUSES = [DeliveryStatus.SENT, DeliveryStatus.DELIVERED]


class Delivery(models.Model):
    """One (message, recipient, channel). No phone number or token here: looked up at send time."""

    # No index of its own: the unique (message, user, channel) serves every lookup by message, and each
    # index of this table is written three times per delivery (planned, claimed, sent).
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=5, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    not_before = models.DateTimeField(null=True, blank=True)  # quiet hours, retry backoff
    attempts = models.PositiveSmallIntegerField(default=0)
    # Set when a send task was published (or is expected to run): the sweeper re-publishes stale ones.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=64, blank=True)
    provider_status = models.CharField(max_length=12, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    segments = models.PositiveSmallIntegerField(null=True, blank=True)
    # Voice: when the person pressed 1 ("heard and confirmed"), and how long the last call lasted (Twilio's
    # CallDuration, billed by started minute).
    confirmed_at = models.DateTimeField(null=True, blank=True)
    call_seconds = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)  # purged through the message's date (indexed)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("envoi")
        verbose_name_plural = _("envois")
        constraints = [
            models.UniqueConstraint(fields=["message", "user", "channel"], name="delivery_message_user_channel")
        ]
        indexes = [
            # Small: only rows still to send or in flight (sweeper, health check).
            models.Index(
                fields=["status", "not_before"],
                condition=models.Q(status__in=["pending", "sending", "checking"]),
                name="delivery_active",
            ),
            # No (message, status) index: the unique (message, user, channel) serves per-message reads,
            # and every extra index on `status` is rewritten on each of a delivery's status changes.
            models.Index(fields=["provider_id"], condition=~models.Q(provider_id=""), name="delivery_provider_id"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk} ({self.status})"

    @property
    def key(self) -> str:
        """The key given to the transport (carried back in Twilio's status callback URL)."""
        return str(self.pk)


class Landline(models.Model):
    """A fixed line a person is called on, for voice only (a landline takes no SMS and signs nobody in).

    Registered by the person (verified by a call that reads a code) or, for a resident without a phone of their
    own to manage, by the town hall with the person's consent recorded (`registered_by`, `consent_at`,
    `consent_note`); the person's RGPD export and erasure cover it (notifications/rgpd.py).
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="landline")
    phone = models.CharField(_("ligne fixe"), max_length=20)
    verified_at = models.DateTimeField(null=True, blank=True)
    code_hash = models.CharField(max_length=64, blank=True)  # SHA-256 of the code read by the verification call
    code_expires_at = models.DateTimeField(null=True, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="+")  # fmt: skip
    consent_at = models.DateTimeField(null=True, blank=True)
    consent_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ligne fixe")
        verbose_name_plural = _("lignes fixes")

    def __str__(self) -> str:
        return f"landline #{self.pk}"

    @property
    def usable(self) -> bool:
        """Verified by its call, or registered by the town hall with the person's consent."""
        return self.verified_at is not None or self.consent_at is not None
