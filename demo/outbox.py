"""What the year's alerts sent: one outbox message each, and the deliveries the planner and sender would have
written for them.

Who gets what is the planner's own rule (notifications.preferences: channels, categories, quiet hours, the SMS
fallback without a working app), applied to the members of that day. Deliveries older than
NOTIFICATIONS_RETENTION_DAYS are left out, as the daily purge would have deleted them; messages stay.
A member who removed the app gets one failed push (FCM's UNREGISTERED), then the SMS fallback, as the sender
does, and their device is deactivated.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import override

from alerts.models import Alert, AlertKind, AlertStatus, FollowUpKind
from communes.models import Commune, Role
from notifications import composer
from notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Device,
    Message,
    MessageKind,
    MessageSource,
    MessageStatus,
)
from notifications.preferences import Recipient, channels_for, not_before
from vigilants.categories import Category

from .bulk import insert
from .history import History
from .people import Member
from .reports import Story
from .timeline import PARIS, Clock

ALL_CHANNELS = [Channel.PUSH.value, Channel.SMS.value]
SMS_FAILURE_SHARE = 0.03  # Twilio's 30003: the handset was off or out of reach
FCM_UNREGISTERED = "UNREGISTERED"  # FCM's error for the token of a removed app


def write_outbox(commune: Commune, clock: Clock, rng: random.Random, history: History, members: list[Member],
                 devices: dict[int, Device]) -> int:  # fmt: skip
    """Messages for every published alert, follow-up, reminder and broadcast; returns the deliveries written."""
    first, follow = _messages(commune, history)
    insert(Message, first)
    insert(Message, follow)
    fanout = Fanout(clock, rng, members, devices)
    deliveries = [d for message in sorted(first + follow, key=lambda m: m.created_at) for d in fanout.send(message)]
    insert(Delivery, deliveries)
    fanout.deactivate_devices()
    return len(deliveries)


def _messages(commune: Commune, history: History) -> tuple[list[Message], list[Message]]:
    """(messages, follow-ups replacing them): follow-ups are written second, once what they replace has an id."""
    first, follow = [], []
    for story in history.stories:
        if story.alert.escalated_at is not None:
            first.append(_reminder(commune, story.alert))
        if story.alert.status == AlertStatus.APPROVED:
            original = _alert_message(commune, story.alert)
            first.append(original)
            follow += [_followup_message(commune, story, original, index) for index in range(len(story.followups))]
    for broadcast in history.broadcasts:
        first.append(_alert_message(commune, broadcast.alert, [n.pk for n in broadcast.neighbourhoods]))
    return first, follow


def _planned(commune: Commune, at: datetime, source_type: str = MessageSource.ALERT, **fields: object) -> Message:
    """A message as the planner leaves it: every delivery row written, two seconds after it was queued."""
    return Message(commune=commune, status=MessageStatus.PLANNED, created_at=at, planned_at=at + timedelta(seconds=2),
                   source_type=source_type, **fields)  # fmt: skip


def _alert_message(commune: Commune, alert: Alert, neighbourhood_ids: list[int] | None = None) -> Message:
    """alerts/services.py's _enqueue for an approved report or a broadcast."""
    broadcast = alert.kind == AlertKind.BROADCAST
    with override("fr"):
        title = alert.title or str(Category(alert.category).label)
    assert alert.moderated_at is not None  # noqa: S101 - published: moderated
    return _planned(
        commune, alert.moderated_at, kind=MessageKind.BROADCAST if broadcast else MessageKind.ALERT, title=title,
        body=alert.description, urgent=alert.urgent, category="" if broadcast else alert.category,
        neighbourhood_ids=sorted(neighbourhood_ids) if neighbourhood_ids else None,
        channels=[c for c in ALL_CHANNELS if not alert.channels or c in alert.channels],
        exclude_user_id=alert.reporter_id, source_id=alert.pk,
    )  # fmt: skip


def _followup_message(commune: Commune, story: Story, original: Message, index: int) -> Message:
    followup, alert = story.followups[index], story.alert
    title = "Fin d'alerte" if followup.kind == FollowUpKind.END else "Rectificatif"  # as alerts/services.py
    return _planned(
        commune, followup.created_at, kind=MessageKind.FOLLOWUP, title=title, body=followup.body, urgent=alert.urgent,
        category=alert.category, channels=ALL_CHANNELS, exclude_user_id=alert.reporter_id, source_id=alert.pk,
        replaces=original,
    )  # fmt: skip


def _reminder(commune: Commune, alert: Alert) -> Message:
    """alerts/tasks.py's reminder to the mayors about a report left waiting."""
    assert alert.escalated_at is not None  # noqa: S101 - only escalated reports are reminded
    with override("fr"):
        category = str(Category(alert.category).label)
    since = alert.created_at.astimezone(PARIS).strftime("%H:%M")
    return _planned(
        commune, alert.escalated_at, kind=MessageKind.REMINDER, title="Signalement en attente de modération",
        body=f"Un signalement ({category}) attend votre décision depuis {since}.", urgent=True, category="",
        roles=[Role.MAYOR.value], channels=ALL_CHANNELS, source_type=MessageSource.ALERT_REMINDER,
        source_id=alert.pk,
    )  # fmt: skip


@dataclass
class Attempt:
    """When a delivery was planned, held (quiet hours) and handed to the provider."""

    created: datetime
    held: datetime | None
    sent: datetime


class Fanout:
    """The planner and the sender over the year, message after message, for the members of each day."""

    def __init__(self, clock: Clock, rng: random.Random, members: list[Member], devices: dict[int, Device]) -> None:
        self.clock, self.rng, self.members, self.devices = clock, rng, members, devices
        self.working = set(devices)  # user ids whose push token still works
        self.dead: dict[int, datetime] = {}  # device id -> when FCM said UNREGISTERED

    def send(self, message: Message) -> list[Delivery]:
        """This message's deliveries, if still within the retention (the tokens die all the same)."""
        kept = message.created_at >= self.clock.deliveries_from
        segments = composer.sms_segments(composer.sms_text(message)) if kept else None
        rows = []
        for member in self._recipients(message):
            for delivery in self._deliveries(message, member, segments):
                rows.append(delivery)
        return rows if kept else []

    def _recipients(self, message: Message) -> Iterator[Member]:
        for member in self.members:
            if member.since > message.created_at or member.user.pk == message.exclude_user_id:
                continue
            if message.roles and member.role not in message.roles:
                continue
            if message.neighbourhood_ids and member.neighbourhood_id not in message.neighbourhood_ids:
                continue
            yield member

    def _deliveries(self, message: Message, member: Member, segments: int | None) -> list[Delivery]:
        user_id = member.user.pk
        who = Recipient(user_id=user_id, phone=str(member.user.phone), preferences=member.preferences,
                        has_device=user_id in self.working, opted_out=False)  # fmt: skip
        rows = []
        for channel in channels_for(message, who):
            attempt = self._attempt(message, member)
            if channel == Channel.SMS:
                rows.append(self._sms(message, user_id, attempt, segments))
            elif member.uninstalls_at is not None and member.uninstalls_at <= message.created_at:
                rows += self._dead_token(message, member, attempt, segments)
            else:
                rows.append(self._push(message, user_id, attempt))
        return rows

    def _attempt(self, message: Message, member: Member) -> Attempt:
        created = message.created_at + timedelta(seconds=self.rng.uniform(0.5, 3))
        held = not_before(message, member.preferences, created)
        return Attempt(created, held, (held or created) + timedelta(seconds=self.rng.uniform(0.3, 4)))

    def _push(self, message: Message, user_id: int, attempt: Attempt) -> Delivery:
        name = f"projects/vigilants-demo/messages/0:{self.rng.getrandbits(52)}%{self.rng.getrandbits(32):08x}"
        return Delivery(
            message=message, user_id=user_id, channel=Channel.PUSH, status=DeliveryStatus.SENT, attempts=1,
            not_before=attempt.held, dispatched_at=attempt.held or attempt.created, provider_id=name,
            created_at=attempt.created, sent_at=attempt.sent,
        )  # fmt: skip

    def _sms(self, message: Message, user_id: int, attempt: Attempt, segments: int | None) -> Delivery:
        failed = self.rng.random() < SMS_FAILURE_SHARE
        return Delivery(
            message=message, user_id=user_id, channel=Channel.SMS, attempts=1, not_before=attempt.held,
            status=DeliveryStatus.FAILED if failed else DeliveryStatus.DELIVERED, error_code="30003" if failed else "",
            provider_status="undelivered" if failed else "delivered", provider_id=f"SM{self.rng.getrandbits(128):032x}",
            dispatched_at=attempt.held or attempt.created, segments=segments, created_at=attempt.created,
            sent_at=attempt.sent, finished_at=attempt.sent + timedelta(seconds=self.rng.uniform(3, 40)),
        )  # fmt: skip

    def _dead_token(self, message: Message, member: Member, attempt: Attempt, segments: int | None) -> list[Delivery]:
        """FCM refuses the removed app's token: the push fails, the device goes, the SMS is sent instead."""
        user_id = member.user.pk
        self.working.discard(user_id)
        self.dead[self.devices[user_id].pk] = attempt.sent
        failed = Delivery(
            message=message, user_id=user_id, channel=Channel.PUSH, status=DeliveryStatus.FAILED, attempts=1,
            error_code=FCM_UNREGISTERED, not_before=attempt.held, dispatched_at=attempt.held or attempt.created,
            created_at=attempt.created, finished_at=attempt.sent,
        )  # fmt: skip
        if Channel.SMS not in message.channels or Channel.SMS in member.preferences.get("channels", []):
            return [failed]
        later = Attempt(attempt.sent, None, attempt.sent + timedelta(seconds=self.rng.uniform(1, 5)))
        return [failed, self._sms(message, user_id, later, segments)]

    def deactivate_devices(self) -> None:
        for device_id, when in self.dead.items():
            Device.objects.filter(pk=device_id).update(active=False, deactivated_reason=FCM_UNREGISTERED, updated_at=when)
