"""A commune's public warnings of risks, each message of a thread (the warning, its updates, its end) a row.

The levels are the French vigilance colours the population knows (Météo-France, Vigicrues); each maps to CAP 1.2's
severity, urgency and certainty, which a mayor may also set directly. A thread's rows share `thread` (the first
row) and reference the row they replace (`references`): CAP's msgType Alert, Update, Cancel, and on the phone one
notification tag, so that an update or the end replaces what is shown.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Hazard(models.TextChoices):
    FLOOD = "flood", _("inondation")
    FOREST_FIRE = "forest_fire", _("feu de forêt")
    STORM = "storm", _("tempête, vents violents")
    HEATWAVE = "heatwave", _("canicule")
    SNOW_ICE = "snow_ice", _("neige, verglas")
    INDUSTRIAL = "industrial", _("accident industriel")
    WATER_CUT = "water_cut", _("coupure d'eau")
    POWER_CUT = "power_cut", _("coupure d'électricité")
    OTHER = "other", _("autre")


# CAP 1.2 <category> of each hazard (OASIS CAP 1.2, 3.2.2).
CAP_CATEGORY = {
    Hazard.FLOOD: "Met", Hazard.FOREST_FIRE: "Fire", Hazard.STORM: "Met", Hazard.HEATWAVE: "Met",
    Hazard.SNOW_ICE: "Met", Hazard.INDUSTRIAL: "Env", Hazard.WATER_CUT: "Infra", Hazard.POWER_CUT: "Infra",
    Hazard.OTHER: "Other",
}  # fmt: skip


class Level(models.TextChoices):
    INFORMATION = "information", _("information")
    YELLOW = "yellow", _("jaune : soyez attentifs")
    ORANGE = "orange", _("orange : soyez très vigilants")
    RED = "red", _("rouge : vigilance absolue")


class Severity(models.TextChoices):  # CAP 1.2 <severity>
    EXTREME = "Extreme", _("extrême")
    SEVERE = "Severe", _("grave")
    MODERATE = "Moderate", _("modérée")
    MINOR = "Minor", _("mineure")
    UNKNOWN = "Unknown", _("inconnue")


class Urgency(models.TextChoices):  # CAP 1.2 <urgency>
    IMMEDIATE = "Immediate", _("immédiate")
    EXPECTED = "Expected", _("attendue")
    FUTURE = "Future", _("à venir")
    PAST = "Past", _("passée")
    UNKNOWN = "Unknown", _("inconnue")


class Certainty(models.TextChoices):  # CAP 1.2 <certainty>
    OBSERVED = "Observed", _("observé")
    LIKELY = "Likely", _("probable")
    POSSIBLE = "Possible", _("possible")
    UNLIKELY = "Unlikely", _("peu probable")
    UNKNOWN = "Unknown", _("inconnue")


# The colour's CAP triple, as MeteoAlarm maps its awareness levels (yellow Moderate, orange Severe, red Extreme).
LEVEL_CAP = {
    Level.INFORMATION: (Severity.MINOR, Urgency.FUTURE, Certainty.POSSIBLE),
    Level.YELLOW: (Severity.MODERATE, Urgency.FUTURE, Certainty.LIKELY),
    Level.ORANGE: (Severity.SEVERE, Urgency.EXPECTED, Certainty.LIKELY),
    Level.RED: (Severity.EXTREME, Urgency.IMMEDIATE, Certainty.LIKELY),
}


class MessageType(models.TextChoices):  # CAP 1.2 <msgType>
    ALERT = "Alert", _("avis")
    UPDATE = "Update", _("mise à jour")
    CANCEL = "Cancel", _("fin de l'avis")


class AreaKind(models.TextChoices):
    COMMUNE = "commune", _("toute la commune")
    NEIGHBOURHOODS = "neighbourhoods", _("des quartiers")
    CIRCLE = "circle", _("un cercle autour d'un point")


class Origin(models.TextChoices):
    MAYOR = "mayor", _("la mairie")
    VIGILANCE = "vigilance", _("vigilance officielle relayée")


class AreaWarning(models.Model):
    """One warning over several communes (risks.territory): a RiskWarning thread in each, tied by this row.

    Each commune's list, CAP documents and feeds show its own row as for any warning; the phones see one
    notification for the whole group (its tag), and the fan-out reaches each person once whatever the number of
    those communes they belong to or follow.
    """

    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    sender = models.CharField(_("émis par"), max_length=200)  # what the mayors read: a territory's or a town hall's
    center_latitude = models.FloatField(null=True, blank=True)  # the radius it was chosen by, if it was
    center_longitude = models.FloatField(null=True, blank=True)
    radius_km = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("avis sur plusieurs communes")
        verbose_name_plural = _("avis sur plusieurs communes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"area warning #{self.pk}"

    @property
    def notification_tag(self) -> str:
        return f"area-warning-{self.pk}"


class RiskWarning(models.Model):
    commune = models.ForeignKey("communes.Commune", on_delete=models.CASCADE, related_name="risk_warnings")
    identifier = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # CAP <identifier>
    thread = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    references = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    msg_type = models.CharField(max_length=6, choices=MessageType.choices, default=MessageType.ALERT)
    hazard = models.CharField(max_length=20, choices=Hazard.choices)
    level = models.CharField(max_length=12, choices=Level.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    urgency = models.CharField(max_length=9, choices=Urgency.choices)
    certainty = models.CharField(max_length=8, choices=Certainty.choices)
    title = models.CharField(_("titre"), max_length=120)
    description = models.TextField(_("description"), max_length=2000)
    instruction = models.TextField(_("consignes"), max_length=2000, blank=True)
    area_kind = models.CharField(max_length=14, choices=AreaKind.choices, default=AreaKind.COMMUNE)
    neighbourhoods = models.ManyToManyField("communes.Neighbourhood", blank=True, related_name="+")
    latitude = models.FloatField(null=True, blank=True)  # the circle's centre
    longitude = models.FloatField(null=True, blank=True)
    radius_m = models.PositiveIntegerField(null=True, blank=True)
    expires_at = models.DateTimeField(_("valable jusqu'à"))
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.MAYOR)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)  # CAP <sent>
    # Sent over several communes at once: updated and ended together, under one tag.
    group = models.ForeignKey(AreaWarning, on_delete=models.PROTECT, null=True, blank=True, related_name="warnings")

    class Meta:
        verbose_name = _("avis de risque")
        verbose_name_plural = _("avis de risque")
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["commune", "-sent_at"], name="riskwarning_commune_recent")]

    def __str__(self) -> str:
        return f"{self.msg_type} {self.hazard} {self.level} @ {self.commune_id}"

    @property
    def thread_id_or_own(self) -> int:
        return self.thread_id or self.pk

    @property
    def notification_tag(self) -> str:
        """One tag for the whole thread on every platform: an update or the end replaces what is shown. One for the
        whole group of a warning over several communes: a person reached for two of them sees one notification."""
        if self.group_id:
            return f"area-warning-{self.group_id}"
        return f"warning-{self.thread_id_or_own}"


class VigilanceSource(models.TextChoices):
    VIGICRUES = "vigicrues", "Vigicrues"
    METEO_FRANCE = "meteofrance", "Météo-France"
    CAP_FEED = "cap", _("flux CAP")


class VigilanceChange(models.Model):
    """The State's vigilance level over a commune changed for a hazard, as read from one source.

    Written by the periodic reading of the sources (one row per commune and change, the level before and
    after); a rise to orange or red is announced by `risks.signals.vigilance_rose`. Nothing here reaches
    residents: a person decides (or the commune's policy relays red itself).
    """

    commune = models.ForeignKey("communes.Commune", on_delete=models.CASCADE, related_name="vigilance_changes")
    source = models.CharField(max_length=12, choices=VigilanceSource.choices)
    hazard = models.CharField(max_length=20, choices=Hazard.choices)
    level = models.CharField(max_length=12, choices=Level.choices, blank=True)  # blank: no vigilance any more
    previous_level = models.CharField(max_length=12, choices=Level.choices, blank=True)
    area_code = models.CharField(max_length=40)  # the source's own: a river section, a département, a CAP geocode
    area_name = models.CharField(max_length=200, blank=True)
    headline = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    onset = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(null=True, blank=True)
    source_identifier = models.CharField(max_length=200, blank=True)  # e.g. the CAP message's identifier
    observed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The warning relayed from it, once a person (or the policy) decided.
    relayed_as = models.ForeignKey(RiskWarning, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("changement de vigilance")
        verbose_name_plural = _("changements de vigilance")
        ordering = ["-observed_at"]
        indexes = [models.Index(fields=["commune", "hazard", "-observed_at"], name="vigilance_commune_recent")]

    def __str__(self) -> str:
        return f"{self.source} {self.hazard} {self.previous_level or '-'}→{self.level or '-'} @ {self.commune_id}"


class VigilanceSourceStatus(models.Model):
    """How the last reads of one source went (one row per configured source): what staff read in /healthz and the
    admin when a source fails, answers garbage or stops publishing. Written by risks/vigilance/reader.py only."""

    name = models.CharField(max_length=300, unique=True)  # "vigicrues", "meteoalarm", "cap <url>"
    url = models.CharField(max_length=500, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    document_time = models.DateTimeField(null=True, blank=True)  # the last good document's own date
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)  # empty once a read succeeds again
    consecutive_failures = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("source de vigilance")
        verbose_name_plural = _("sources de vigilance")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class VigicruesSectionCommune(models.Model):
    """A commune a Vigicrues section (tronçon) runs through: from Vigicrues' own stations (their commune), or from a
    list the deployment loads (the prefecture's, the RIC's). Written by `manage.py vigicrues_sections`."""

    class Origin(models.TextChoices):
        STATIONS = "stations", _("stations Vigicrues")
        FILE = "file", _("liste chargée")

    section = models.CharField(max_length=20, db_index=True)  # CdEntVigiCru, e.g. "AP1"
    section_name = models.CharField(max_length=200, blank=True)
    insee = models.CharField(max_length=5, db_index=True)
    origin = models.CharField(max_length=8, choices=Origin.choices)

    class Meta:
        verbose_name = _("commune d'un tronçon Vigicrues")
        verbose_name_plural = _("communes des tronçons Vigicrues")
        ordering = ["section", "insee"]
        constraints = [
            models.UniqueConstraint(fields=["section", "insee", "origin"], name="vigicrues_section_commune_unique")
        ]

    def __str__(self) -> str:
        return f"{self.section} → {self.insee}"


class WarningDelegate(models.Model):
    """A referent the mayor lets issue, update and end the commune's public warnings (and relay vigilance).

    The mayors (maire and adjoints) always may; a delegation is for the referents a mayor names (the person in
    charge of the plan communal de sauvegarde, a municipal police officer who is a referent). It counts only while
    its holder is still a referent of the commune (risks.access.may_warn).
    """

    commune = models.ForeignKey("communes.Commune", on_delete=models.CASCADE, related_name="warning_delegates")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("délégation pour les avis de risque")
        verbose_name_plural = _("délégations pour les avis de risque")
        ordering = ["granted_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["commune", "user"], name="warningdelegate_commune_user_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} warns for {self.commune_id}"


class RiskPolicy(models.Model):
    """A commune's rules for public warnings, set by its mayor. Absent: the defaults (nothing automatic)."""

    commune = models.OneToOneField("communes.Commune", on_delete=models.CASCADE, related_name="risk_policy")
    # A red vigilance over the commune is relayed to residents at once, without waiting for a person: for a
    # commune whose mayor has decided it in advance (its plan communal de sauvegarde says so).
    relay_red_automatically = models.BooleanField(_("relayer automatiquement la vigilance rouge"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("règles des avis de risque")
        verbose_name_plural = _("règles des avis de risque")

    def __str__(self) -> str:
        return f"risk policy of {self.commune_id}"


class VigilanceOutcome(models.TextChoices):
    RELAYED = "relayed", _("relayée aux habitants")
    DISMISSED = "dismissed", _("non relayée")


class VigilanceDecision(models.Model):
    """What was decided about a rise of vigilance: relayed (as `change.relayed_as`) or not. One per change."""

    change = models.OneToOneField(VigilanceChange, on_delete=models.CASCADE, related_name="decision")
    outcome = models.CharField(max_length=10, choices=VigilanceOutcome.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    automatic = models.BooleanField(default=False)  # the commune's policy relayed it, nobody clicked
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("décision sur une vigilance")
        verbose_name_plural = _("décisions sur les vigilances")

    def __str__(self) -> str:
        return f"{self.outcome} {self.change_id}"


class WarningPartnership(models.Model):
    """`commune`'s mayors accept that `partner`'s mayors (and warning delegates) warn `commune` too, in a warning
    over several communes (a river they share, a forest on their boundary). Set and removed by `commune`'s mayors."""

    commune = models.ForeignKey("communes.Commune", on_delete=models.CASCADE, related_name="warning_partnerships")
    partner = models.ForeignKey("communes.Commune", on_delete=models.CASCADE, related_name="+")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("commune partenaire pour les avis")
        verbose_name_plural = _("communes partenaires pour les avis")
        ordering = ["granted_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["commune", "partner"], name="warningpartnership_unique"),
            models.CheckConstraint(condition=~models.Q(commune=models.F("partner")), name="warningpartnership_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} may warn {self.commune_id}"
