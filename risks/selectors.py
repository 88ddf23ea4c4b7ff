"""Reading warnings and vigilance: threads and their latest row, what is current, the prompts still open."""

from datetime import timedelta

from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from communes.models import Commune

from .models import Level, MessageType, RiskWarning, VigilanceChange

RECENT_DAYS = 30  # a thread that ended or expired stays listed this long after its last row
RISEN_LEVELS = (Level.ORANGE, Level.RED)  # what prompts the mayors (risks.signals.vigilance_rose)
# A prompt whose change gives no end of validity stays open this long: the sources re-announce a lasting one.
PROMPT_OPEN_HOURS = 24


def thread_key(warning: RiskWarning) -> int:
    """The thread's first row: the first row's own `thread` may be empty."""
    return warning.thread_id_or_own


def thread_rows(warning: RiskWarning) -> QuerySet[RiskWarning]:
    """Every row of the warning's thread, oldest first."""
    key = thread_key(warning)
    return RiskWarning.objects.filter(Q(pk=key) | Q(thread_id=key)).order_by("pk")


def latest_in_thread(warning: RiskWarning) -> RiskWarning:
    """The row that stands for the thread now: the last one written (rows of a thread are written one at a time,
    under a lock on its first row: risks.services)."""
    latest = thread_rows(warning).order_by("-pk").first()
    return latest or warning


def latest_rows(commune: Commune) -> QuerySet[RiskWarning]:
    """Each thread of the commune by its latest row."""
    keyed = RiskWarning.objects.filter(commune=commune).annotate(key=Coalesce("thread_id", "id"))
    last_ids = keyed.order_by().values("key").annotate(last=Max("id")).values("last")
    return RiskWarning.objects.filter(pk__in=last_ids)


def listed_threads(commune: Commune, *, current_only: bool = False) -> QuerySet[RiskWarning]:
    """What the public list shows: threads still in force, then those that ended or expired in the last days."""
    now = timezone.now()
    rows = latest_rows(commune).prefetch_related("neighbourhoods").select_related("commune", "group")
    in_force = Q(expires_at__gt=now) & ~Q(msg_type=MessageType.CANCEL)
    if current_only:
        return rows.filter(in_force).order_by("-sent_at", "-pk")
    return rows.filter(in_force | Q(sent_at__gte=now - timedelta(days=RECENT_DAYS))).order_by("-sent_at", "-pk")


def warning_status(warning: RiskWarning) -> str:
    """`ended` (its thread's end), `expired` (past its validity), or `active`."""
    if warning.msg_type == MessageType.CANCEL:
        return "ended"
    if warning.expires_at <= timezone.now():
        return "expired"
    return "active"


def open_vigilance(commune: Commune) -> QuerySet[VigilanceChange]:
    """Rises to orange or red that nobody decided on yet, still valid, and not overtaken by a later change of the
    same source, hazard and area (a level that went back down is no longer a prompt)."""
    now = timezone.now()
    later = VigilanceChange.objects.filter(
        commune_id=OuterRef("commune_id"), source=OuterRef("source"), hazard=OuterRef("hazard"),
        area_code=OuterRef("area_code"), observed_at__gt=OuterRef("observed_at"),
    )  # fmt: skip
    valid = Q(expires__gt=now) | Q(expires__isnull=True, observed_at__gt=now - timedelta(hours=PROMPT_OPEN_HOURS))
    return (
        VigilanceChange.objects.filter(valid, commune=commune, level__in=RISEN_LEVELS, decision__isnull=True,
                                       relayed_as__isnull=True)
        .filter(~Exists(later))
        .order_by(F("observed_at").desc(), "-pk")
    )


def recent_vigilance(commune: Commune, days: int = 7) -> QuerySet[VigilanceChange]:
    """The commune's vigilance changes of the last days, with what was decided about each."""
    since = timezone.now() - timedelta(days=days)
    return (
        VigilanceChange.objects.filter(commune=commune, observed_at__gte=since)
        .select_related("decision", "decision__decided_by", "relayed_as")
        .order_by("-observed_at", "-pk")
    )
