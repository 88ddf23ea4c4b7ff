"""The periodic read against the fake State sources over HTTP: a section raised to orange makes a change for its
communes, an audit row and the signal; a lowering a change and no signal; a repeated read nothing; failures,
malformed and stale documents nothing, and they are recorded for staff."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from audit.models import AuditEntry
from risks.models import Hazard, Level, VigicruesSectionCommune, VigilanceChange, VigilanceSource, VigilanceSourceStatus
from risks.signals import vigilance_rose
from risks.tasks import vigilance_tasks
from risks.vigilance.health import check_vigilance
from risks.vigilance.reader import read_all
from tests.factories import CommuneFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rises() -> Iterator[list[VigilanceChange]]:
    """What `vigilance_rose` announced (after commit)."""
    received: list[VigilanceChange] = []

    def receiver(sender: Any, change: VigilanceChange, **kwargs: Any) -> None:
        received.append(change)

    vigilance_rose.connect(receiver)
    yield received
    vigilance_rose.disconnect(receiver)


@pytest.fixture
def marpent(fake_state):
    """Marpent (59), enrolled, on the Sambre (AP1) by Vigicrues' own station, as `vigicrues_sections` finds it."""
    commune = CommuneFactory.create(insee="59385", name="Marpent", departement="59", latitude=50.29385, longitude=4.08187)
    call_command("vigicrues_sections", "--sections", "AP1", "AP13", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return commune


def test_sections_communes_come_from_vigicrues_stations(marpent):
    rows = set(VigicruesSectionCommune.objects.values_list("section", "insee", "section_name"))
    assert rows == {("AP1", "59385", "Sambre"), ("AP1", "59068", "Sambre"), ("AP1", "59392", "Sambre"),
                    ("AP13", "62265", "Lys amont - Laquette")}  # fmt: skip


def test_a_section_raised_to_orange_changes_its_communes(marpent, fake_state, rises):
    read_all()
    assert not VigilanceChange.objects.exists()  # AP1 is green in the sample: nothing to say
    fake_state.set_section("AP1", 3)
    read_all()
    change = VigilanceChange.objects.get()
    assert (change.commune, change.source, change.hazard) == (marpent, VigilanceSource.VIGICRUES, Hazard.FLOOD)
    assert (change.previous_level, change.level, change.area_code, change.area_name) == ("", Level.ORANGE, "AP1", "Sambre")
    assert change.headline == "Vigilance crues orange : Sambre"
    entry = AuditEntry.objects.get(action="vigilance.changed")
    assert (entry.commune_id, entry.object_id, entry.actor_id) == (marpent.pk, str(change.pk), None)
    assert entry.before == {"level": ""} and entry.after is not None and entry.after["level"] == Level.ORANGE
    assert rises == [change]
    status = VigilanceSourceStatus.objects.get(name="vigicrues")
    assert status.last_error == "" and status.last_success_at is not None and status.document_time is not None


def test_a_repeated_read_changes_nothing(marpent, fake_state, rises):
    fake_state.set_section("AP1", 3)
    read_all()
    read_all()
    assert VigilanceChange.objects.count() == 1 and AuditEntry.objects.filter(action="vigilance.changed").count() == 1
    assert len(rises) == 1


def test_orange_to_red_is_announced_and_lowering_is_not(marpent, fake_state, rises):
    fake_state.set_section("AP1", 3)
    read_all()
    fake_state.set_section("AP1", 4)
    read_all()
    fake_state.set_section("AP1", 2)
    read_all()
    fake_state.set_section("AP1", 1)
    read_all()
    levels = list(VigilanceChange.objects.order_by("id").values_list("previous_level", "level"))
    assert levels == [("", "orange"), ("orange", "red"), ("red", "yellow"), ("yellow", "")]
    assert [change.level for change in rises] == ["orange", "red"]
    assert AuditEntry.objects.filter(action="vigilance.changed").count() == 4


@pytest.mark.parametrize("mode", ["http500", "timeout", "malformed", "stale"])
def test_a_failed_read_changes_nothing_and_is_recorded(marpent, fake_state, rises, mode):
    fake_state.set_section("AP1", 3)
    read_all()
    fake_state.set_section("AP1", 1)  # the source would lower it, but it fails
    fake_state.fail("vigicrues", mode)
    read_all()
    read_all()
    assert list(VigilanceChange.objects.values_list("level", flat=True)) == ["orange"]
    status = VigilanceSourceStatus.objects.get(name="vigicrues")
    assert status.consecutive_failures == 2 and status.last_error
    assert "vigicrues EN ÉCHEC (2 fois" in check_vigilance()
    fake_state.reset()
    read_all()  # back: the lowering the source now says is applied, and the failure forgotten
    assert list(VigilanceChange.objects.order_by("id").values_list("level", flat=True)) == ["orange", ""]
    status.refresh_from_db()
    assert (status.consecutive_failures, status.last_error) == (0, "")


def test_a_section_missing_from_the_synthesis_is_not_green(marpent, fake_state, rises):
    fake_state.set_section("AP1", 3)
    read_all()
    # Marpent also lies on a section the synthesis does not list: what it says there is unknown.
    VigicruesSectionCommune.objects.create(section="ZZ9", insee="59385", origin=VigicruesSectionCommune.Origin.FILE)
    fake_state.set_section("AP1", 1)
    read_all()
    assert list(VigilanceChange.objects.values_list("level", flat=True)) == ["orange"]
    fake_state.set_section("AP1", 4)
    read_all()  # a rise is still a fact
    assert list(VigilanceChange.objects.order_by("id").values_list("level", flat=True)) == ["orange", "red"]


def test_only_enrolled_communes_matter(marpent, fake_state, rises):
    marpent.enrolled = False
    marpent.save()
    fake_state.set_section("AP1", 4)
    read_all()
    assert not VigilanceChange.objects.exists() and rises == []


def test_an_unexpected_error_is_recorded_not_raised(marpent, fake_state, monkeypatch):
    def broken(*args: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("risks.vigilance.vigicrues.section_communes", broken)
    vigilance_tasks.read_vigilance()  # the beat task itself
    assert VigilanceSourceStatus.objects.get(name="vigicrues").last_error == "erreur interne : RuntimeError"


def test_one_read_at_a_time(marpent, fake_state):
    from django.core.cache import cache

    from risks.vigilance.reader import READ_LOCK

    fake_state.set_section("AP1", 3)
    cache.add(READ_LOCK, "1")  # another worker is reading
    read_all()
    assert not VigilanceChange.objects.exists()
    cache.delete(READ_LOCK)
    read_all()
    assert VigilanceChange.objects.count() == 1 and cache.get(READ_LOCK) is None


def test_no_source_configured_reads_nothing(settings):
    settings.VIGICRUES_URL = settings.METEOALARM_FEED_URL = ""
    settings.CAP_FEED_URLS = []
    read_all()
    assert not VigilanceSourceStatus.objects.exists()
    assert check_vigilance() == "ok (aucune source configurée)"


# --- MeteoAlarm (Météo-France by département) and CAP feeds ------------------------------------------


@pytest.fixture
def saint_paul_06(fake_state, settings):
    settings.VIGICRUES_URL = ""
    settings.METEOALARM_FEED_URL = fake_state.meteoalarm_url
    return CommuneFactory.create(insee="06128", name="Saint-Paul-de-Vence", departement="06",
                                 latitude=43.69687, longitude=7.12212)  # fmt: skip


def test_meteoalarm_levels_by_departement(saint_paul_06, fake_state, rises):
    other = CommuneFactory.create(insee="08105", name="Charleville-Mézières", departement="08")
    read_all()  # the sample: yellow thunderstorms over the Alpes-Maritimes (FR029)
    change = VigilanceChange.objects.get()
    assert (change.commune, change.source, change.hazard, change.level) == (
        saint_paul_06, VigilanceSource.METEO_FRANCE, Hazard.STORM, Level.YELLOW)
    assert change.area_code == "EMMA_ID:FR029" and change.headline.startswith("Vigilance jaune orages")
    assert rises == []
    fake_state.set_warning("FR029", 3, "3; Thunderstorm", "Alpes Maritimes")
    read_all()
    assert [c.level for c in rises] == [Level.ORANGE] and rises[0].commune == saint_paul_06
    assert not VigilanceChange.objects.filter(commune=other).exists()
    fake_state.set_warning("FR029", 1, "3; Thunderstorm")  # no warning any more: green
    read_all()
    last = VigilanceChange.objects.order_by("-id").first()
    assert last is not None and last.level == ""


def test_meteoalarm_message_unreadable_is_unknown_not_green(saint_paul_06, fake_state, rises):
    fake_state.set_warning("FR029", 3, "3; Thunderstorm", "Alpes Maritimes")
    read_all()
    assert VigilanceChange.objects.filter(level=Level.ORANGE).exists()
    # The feed still lists the warning but its CAP message is gone (404): what it says is unknown.
    for warning in fake_state.warnings:
        if warning.emma_id == "FR029":
            warning.id = "gone"
    read_all()
    assert not VigilanceChange.objects.filter(level="").exists()
    fake_state.fail("meteoalarm", "stale")
    read_all()
    assert "périmé" in VigilanceSourceStatus.objects.get(name="meteoalarm").last_error


def test_cap_feed_urls_read_the_same_way(saint_paul_06, fake_state, settings, rises):
    settings.METEOALARM_FEED_URL = ""
    settings.CAP_FEED_URLS = [fake_state.meteoalarm_url, fake_state.url + "/nowhere"]
    fake_state.set_warning("FR029", 4, "12; flooding", "Alpes Maritimes", "crues")
    read_all()
    levels = set(VigilanceChange.objects.values_list("source", "hazard", "level"))
    assert levels == {(VigilanceSource.CAP_FEED, Hazard.FLOOD, Level.RED), (VigilanceSource.CAP_FEED, Hazard.STORM, Level.YELLOW)}
    assert VigilanceSourceStatus.objects.get(name=f"cap {fake_state.url}/nowhere").last_error == "HTTP 404"
    fake_state.set_warning("FR029", 1, "12; flooding")
    read_all()  # one feed failed: nothing may be lowered
    assert not VigilanceChange.objects.filter(level="").exists()
