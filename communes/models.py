"""Territory: every French commune (reference data), their quartiers, memberships and gendarmes' areas."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vigilants.prepared import PreparedFirst

from .text import normalize_name, search_terms


class CommuneType(models.TextChoices):
    COMMUNE = "COM", _("commune")
    DELEGATED = "COMD", _("commune déléguée")
    ASSOCIATED = "COMA", _("commune associée")
    ARRONDISSEMENT = "ARM", _("arrondissement municipal")
    SRM = "SRM", _("secteur")


# A search by words ranks every match before its first page can be read (communes/views.py counts them meanwhile).
NAME_RANK = "name_rank"


def _starts_a_word(word: str) -> models.Q:
    return models.Q(search_name__startswith=word) | models.Q(search_name__contains=f" {word}")


def _name_rank(words: tuple[str, ...]) -> models.Case:
    """0 the whole name, 1 a name starting with the words, 2 each word starting one of the name's, 3 inside."""
    phrase = " ".join(words)
    every_word_starts_one = models.Q()
    for word in words:
        every_word_starts_one &= _starts_a_word(word)
    return models.Case(
        models.When(search_name=phrase, then=0),
        models.When(search_name__startswith=phrase, then=1),
        models.When(every_word_starts_one, then=2),
        default=3,
    )


_TIEBREAK = (
    models.F("enrolled").desc(),
    models.Case(models.When(type=CommuneType.COMMUNE, then=0), default=1),
    models.F("population").desc(nulls_last=True),
    "insee",
    "type",
)


class CommuneQuerySet(models.QuerySet["Commune"]):
    def search(self, text: str) -> "CommuneQuerySet":
        """Every word of `text` in the name, in any order; a 5-digit word is a postal code, and a lone
        département code a département. Best first: the whole name, then names starting with the
        words, then names with a word starting with each, then the others; enrolled communes (those one may
        join), communes proper (not delegated ones) and the more populous first within each."""
        terms = search_terms(text)
        if terms.departement:
            return self.filter(departement=terms.departement).order_by(*_TIEBREAK)
        if not (terms.words or terms.postal_codes):
            return self
        queryset = self
        for code in terms.postal_codes:
            # Codes are 5-digit tokens separated by spaces, so a 5-digit substring is always a whole code.
            queryset = queryset.filter(postal_codes__contains=code)
        for word in terms.words:
            queryset = queryset.filter(search_name__contains=word)
        if not terms.words:
            return queryset.order_by(*_TIEBREAK)
        return queryset.alias(**{NAME_RANK: _name_rank(terms.words)}).order_by(NAME_RANK, *_TIEBREAK)

    def by_insee(self, insee: str) -> "Commune | None":
        """The commune an INSEE code names: a code is shared by a commune and its delegated namesake."""
        if not self.query.where and getattr(self, "_db", None) is None:  # the whole table: every commune-scoped request asks it
            return _commune_by_insee(insee)
        return self._named_by(insee).first()

    def _named_by(self, insee: str) -> "CommuneQuerySet":
        rank = models.Case(models.When(type__in=[CommuneType.COMMUNE, CommuneType.ARRONDISSEMENT], then=0), default=1)
        return self.filter(insee=insee).order_by(rank)


class Commune(models.Model):
    insee = models.CharField(_("code INSEE"), max_length=10, db_index=True)
    type = models.CharField(max_length=4, choices=CommuneType.choices, default=CommuneType.COMMUNE)
    name = models.CharField(_("nom"), max_length=100)
    search_name = models.CharField(max_length=100, db_index=True, editable=False)
    parent_insee = models.CharField(max_length=10, blank=True)
    departement = models.CharField(_("département"), max_length=3, db_index=True)
    departement_name = models.CharField(max_length=60, blank=True)
    region = models.CharField(_("région"), max_length=3, blank=True)
    region_name = models.CharField(max_length=60, blank=True)
    epci_siren = models.CharField(max_length=9, blank=True)
    epci_name = models.CharField(max_length=150, blank=True)
    population = models.PositiveIntegerField(null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    bbox_south = models.FloatField(null=True, blank=True)
    bbox_west = models.FloatField(null=True, blank=True)
    bbox_north = models.FloatField(null=True, blank=True)
    bbox_east = models.FloatField(null=True, blank=True)
    postal_codes = models.CharField(max_length=120, blank=True, help_text=_("séparés par des espaces"))
    enrolled = models.BooleanField(_("inscrite"), default=False, db_index=True)
    enrolled_at = models.DateTimeField(_("inscrite le"), null=True, blank=True)

    objects = CommuneQuerySet.as_manager()

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["insee", "type"]
        constraints = [models.UniqueConstraint(fields=["insee", "type"], name="commune_insee_type_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.insee})"

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_name = normalize_name(self.name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def postal_code_list(self) -> list[str]:
        return self.postal_codes.split()

    def contains(self, latitude: float, longitude: float) -> bool:
        """Whether a point falls inside the commune's bounding box (no box known: accepted)."""
        south, west, north, east = self.bbox_south, self.bbox_west, self.bbox_north, self.bbox_east
        if south is None or west is None or north is None or east is None:
            return True
        return south <= latitude <= north and west <= longitude <= east


class Neighbourhood(models.Model):
    """A quartier: members may choose one; broadcasts may target some."""

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="neighbourhoods")
    name = models.CharField(_("nom"), max_length=100)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    radius_m = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("quartier")
        verbose_name_plural = _("quartiers")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["commune", "name"], name="neighbourhood_name_unique")]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    RESIDENT = "resident", _("habitant")
    REFERENT = "referent", _("voisin référent")
    MAYOR = "mayor", _("maire ou adjoint")


MODERATOR_ROLES = (Role.REFERENT, Role.MAYOR)


class MembershipStatus(models.TextChoices):
    PENDING = "pending", _("en attente")
    APPROVED = "approved", _("acceptée")
    REJECTED = "rejected", _("refusée")


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="memberships")
    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.SET_NULL, null=True, blank=True, related_name="memberships"
    )
    address = models.CharField(_("adresse"), max_length=200)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.RESIDENT)
    status = models.CharField(max_length=10, choices=MembershipStatus.choices, default=MembershipStatus.PENDING)
    rejection_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("adhésion")
        verbose_name_plural = _("adhésions")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "commune"], name="membership_user_commune_unique")]
        indexes = [
            models.Index(fields=["commune", "status", "role"], name="membership_commune_status"),
            # Fan-out planning pages through a commune's approved members by id (notifications/planner.py),
            models.Index(fields=["commune", "status", "id"], name="membership_commune_keyset"),
            # and by user id for a public warning, merged with the commune's followers.
            models.Index(fields=["commune", "status", "user"], name="membership_commune_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.commune_id} ({self.role}, {self.status})"


class Follow(models.Model):
    """Someone who follows a commune's public warnings (floods, fires, storms…) without joining its watch.

    Anyone signed in may follow: the phone app (its device) or a phone number confirmed by an SMS code (the
    sign-in's own). A follower receives the commune's public warnings, never the neighbourhood watch's reports;
    a member who also follows is one person, reached once per channel. `stopped_at` set: following no more
    (kept so that the person's export shows it until erased).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="follows")
    # Empty: the whole commune; else the quartiers whose warnings the person wants.
    neighbourhoods = models.ManyToManyField(Neighbourhood, blank=True, related_name="follows")
    # Subset of the notifications' channels ("push", "sms"); empty: every channel the person has.
    channels = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("abonnement aux avis de la commune")
        verbose_name_plural = _("abonnements aux avis de la commune")
        constraints = [models.UniqueConstraint(fields=["user", "commune"], name="follow_user_commune_unique")]
        # A commune's active followers by user id: a public warning's planning pages through them in that order
        # (notifications/planner.py). Partial: with stopped_at as a key column, PostgreSQL cannot read the
        # index in user order and scans every follow of every commune by user id instead.
        indexes = [
            models.Index(fields=["commune", "user"], condition=models.Q(stopped_at__isnull=True), name="follow_commune_active")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.commune_id}"


class GendarmeArea(models.Model):
    """A gendarme reads statistics for a département, or for a list of communes, and nowhere else."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gendarme_area")
    departement = models.CharField(max_length=3, blank=True)
    communes = models.ManyToManyField(Commune, blank=True, related_name="+")

    class Meta:
        verbose_name = _("zone de gendarmerie")
        verbose_name_plural = _("zones de gendarmerie")

    def __str__(self) -> str:
        return self.departement or f"{self.pk}"


# Commune.objects.by_insee(code), its SQL composed once (vigilants/prepared.py).
_commune_by_insee = PreparedFirst(Commune, lambda insee: Commune.objects.all()._named_by(insee), str)


class TerritoryKind(models.TextChoices):
    EPCI = "epci", _("intercommunalité")
    DEPARTEMENT = "departement", _("département")


class TerritoryOperator(models.Model):
    """An operator of an intercommunality (EPCI, by its SIREN) or a département: enrols its communes, names their
    first mayor, reads their figures and journals, sends warnings over several of them (communes/territories.py).
    It moderates a commune's reports only where that commune's mayor delegated it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="territory_operations")
    kind = models.CharField(max_length=12, choices=TerritoryKind.choices)
    code = models.CharField(max_length=9)  # the EPCI's SIREN or the département's code
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("opérateur de territoire")
        verbose_name_plural = _("opérateurs de territoire")
        constraints = [models.UniqueConstraint(fields=["user", "kind", "code"], name="territory_operator_unique")]
        indexes = [models.Index(fields=["kind", "code"], name="territory_operator_territory")]

    def __str__(self) -> str:
        return f"{self.user_id} operates {self.kind} {self.code}"


class ModerationDelegation(models.Model):
    """A mayor lets the operators of one of the commune's territories moderate its reports (and only them:
    memberships and roles stay with the mayors). One per commune; naming another territory replaces it."""

    commune = models.OneToOneField(Commune, on_delete=models.CASCADE, related_name="moderation_delegation")
    kind = models.CharField(max_length=12, choices=TerritoryKind.choices)
    code = models.CharField(max_length=9)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("délégation de la modération")
        verbose_name_plural = _("délégations de la modération")
        indexes = [models.Index(fields=["kind", "code"], name="moderation_delegation_to")]

    def __str__(self) -> str:
        return f"{self.commune_id} delegates to {self.kind} {self.code}"
