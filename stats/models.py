"""Official recorded-crime figures published by the SSMSI (Ministry of the Interior), as imported."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class GeographyLevel(models.TextChoices):
    COMMUNE = "commune", _("commune")
    DEPARTEMENT = "departement", _("département")
    REGION = "region", _("région")


class OfficialFigure(models.Model):
    """One published cell: an indicator for one territory and one year.

    A withheld cell (``est_diffuse = ndiff``, ``NA``) keeps ``count`` NULL, never zero: the SSMSI withholds
    small counts, it does not say they are small. Its ``complement_*`` values are the département's average
    over withheld communes, not the commune's own figure.
    """

    level = models.CharField(_("niveau géographique"), max_length=11, choices=GeographyLevel.choices)
    code = models.CharField(_("code géographique"), max_length=10)
    year = models.PositiveSmallIntegerField(_("année"))
    indicator = models.CharField(_("indicateur"), max_length=150)
    indicator_slug = models.SlugField(_("indicateur (clé)"), max_length=150)
    unite_de_compte = models.CharField(_("unité de compte"), max_length=50)
    count = models.PositiveIntegerField(_("nombre"), null=True, blank=True)
    rate_per_thousand = models.DecimalField(_("taux pour mille"), max_digits=16, decimal_places=10, null=True, blank=True)
    withheld = models.BooleanField(_("non diffusé"), default=False)
    complement_count = models.DecimalField(
        _("nombre complémentaire"), max_digits=16, decimal_places=6, null=True, blank=True,
        help_text=_("moyenne donnée par le SSMSI quand la valeur n'est pas diffusée"),
    )  # fmt: skip
    complement_rate = models.DecimalField(
        _("taux complémentaire"), max_digits=16, decimal_places=10, null=True, blank=True,
        help_text=_("moyenne donnée par le SSMSI quand la valeur n'est pas diffusée"),
    )  # fmt: skip
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    population_year = models.PositiveSmallIntegerField(_("millésime de la population"), null=True, blank=True)
    # The older editions publish an estimated, fractional number of dwellings.
    dwellings = models.DecimalField(_("logements"), max_digits=16, decimal_places=4, null=True, blank=True)
    dwellings_year = models.PositiveSmallIntegerField(_("millésime des logements"), null=True, blank=True)
    source = models.CharField(_("fichier source"), max_length=255)
    imported_at = models.DateTimeField(_("importé le"))

    class Meta:
        verbose_name = _("chiffre officiel")
        verbose_name_plural = _("chiffres officiels")
        ordering = ["level", "code", "indicator_slug", "year"]
        constraints = [
            models.UniqueConstraint(fields=["level", "code", "year", "indicator_slug"], name="official_figure_unique"),
        ]
        indexes = [
            models.Index(fields=["level", "code", "indicator_slug", "year"], name="official_figure_lookup"),
        ]

    def __str__(self) -> str:
        value = _("non diffusé") if self.withheld else self.count
        return f"{self.indicator} {self.year}, {self.get_level_display()} {self.code} : {value}"
