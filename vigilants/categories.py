"""The alert categories of the contract, shared by alerts, preferences and statistics."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    CAMBRIOLAGE = "cambriolage", _("Cambriolage")
    TENTATIVE_CAMBRIOLAGE = "tentative_cambriolage", _("Tentative de cambriolage")
    VEHICULE_SUSPECT = "vehicule_suspect", _("Véhicule suspect")
    INDIVIDU_SUSPECT = "individu_suspect", _("Individu au comportement suspect")
    DEMARCHAGE_SUSPECT = "demarchage_suspect", _("Démarchage suspect")
    VOL = "vol", _("Vol")
    DEGRADATION = "degradation", _("Dégradation")
    INCENDIE = "incendie", _("Incendie")
    AUTRE = "autre", _("Autre")


BURGLARY_CATEGORIES = (Category.CAMBRIOLAGE, Category.TENTATIVE_CAMBRIOLAGE)
