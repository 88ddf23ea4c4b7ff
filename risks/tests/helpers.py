"""Builders shared by the risks tests: a warning issued by a town's mayor, a vigilance change."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from conftest import Town
from notifications.models import Message, MessageSource
from risks.models import Hazard, Level, RiskWarning, VigilanceChange, VigilanceSource
from risks.services import warning_issue


def issue(town: Town, **fields: Any) -> RiskWarning:
    actor = fields.pop("actor", town.mayor)
    values = {"hazard": Hazard.FLOOD, "level": Level.ORANGE, "title": "Crue du Loup",
              "description": "Le Loup déborde au pont de la Colle.", "instruction": "Ne prenez pas votre voiture.",
              "expires_at": timezone.now() + timedelta(hours=12), **fields}  # fmt: skip
    return warning_issue(commune=town.commune, actor=actor, **values)


def message_of(warning: RiskWarning) -> Message:
    return Message.objects.get(source_type=MessageSource.WARNING, source_id=warning.pk)


def change(town: Town, level: str = Level.ORANGE, **fields: Any) -> VigilanceChange:
    values = {"commune": town.commune, "source": VigilanceSource.VIGICRUES, "hazard": Hazard.FLOOD, "level": level,
              "previous_level": Level.YELLOW, "area_code": "Y6", "area_name": "Le Loup",
              "headline": "", "description": "Montée rapide des eaux attendue cette nuit.",
              "expires": timezone.now() + timedelta(hours=30), **fields}  # fmt: skip
    return VigilanceChange.objects.create(**values)
