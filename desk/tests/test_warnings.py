"""The mayor's warnings on the desk: who opens what, the preview against the fan-out, bad input, the live report."""

import re
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from alerts.models import Alert, AlertKind
from alerts.services import broadcast_create
from communes.models import Membership
from desk.tests.conftest import MAYORS_PAGE, MODERATORS_PAGE, People, expect_statuses
from notifications import composer
from notifications.models import Delivery, DeliveryStatus, Message, SmsOptOut
from notifications.tests.helpers import member
from notifications.tests.recording import transports_fixture  # noqa: F401 - fixture
from tests.factories import NeighbourhoodFactory

pytestmark = pytest.mark.django_db

LIST, NEW = "/desk/communes/06128/warnings/", "/desk/communes/06128/warnings/new/"
OTHER_LIST, OTHER_NEW = "/desk/communes/08105/warnings/", "/desk/communes/08105/warnings/new/"
FORM = {"title": "Coupure d'eau", "body": "L'eau sera coupée demain de 8 h à 12 h rue des Oliviers.",
        "channels": ["push", "sms"]}  # fmt: skip
# Another commune's pages: its mayor and staff open them; Saint-Paul's moderators are strangers there (404), the
# gendarme of the Ardennes reads its statistics but not its desk (403); a resident opens no desk at all (403).
OTHER_COMMUNE_PAGE = {
    "anon": 302, "resident": 403, "referent": 404, "mayor": 404, "other_mayor": 200, "gendarme_06": 404,
    "gendarme_08": 403, "staff": 200,
}  # fmt: skip
PARIS = ZoneInfo("Europe/Paris")
INLINE_CODE = re.compile(r"""\sstyle=|<style|\son[a-z]+=|<script(?![^>]*\bsrc=)""", re.IGNORECASE)


def report_path(alert: Alert, insee: str = "06128") -> str:
    return f"/desk/communes/{insee}/warnings/{alert.pk}/"


def sent_by_mayor(people: People, **fields: Any) -> Alert:
    values = {"title": "Travaux", "body": "Coupure d'eau demain.", **fields}
    return broadcast_create(commune=people.saint_paul.commune, actor=people.saint_paul.mayor, **values)


def preview(client: Client, path: str = NEW, **changes: Any) -> Any:
    return client.post(path, {**FORM, **changes, "step": "preview"})


def send(client: Client, path: str = NEW, **changes: Any) -> Any:
    """Preview, then send with the preview's token, as the mayor's browser does."""
    draft = preview(client, path, **changes).context["draft"]
    return client.post(path, {**FORM, **changes, "step": "send", "draft": draft})


def broadcasts() -> int:
    return Alert.objects.filter(kind=AlertKind.BROADCAST).count()


# --- Who opens what ------------------------------------------------------------------------------------------


def test_the_list_is_for_the_communes_moderators(people: People) -> None:
    expect_statuses(people, "get", LIST, MODERATORS_PAGE)
    expect_statuses(people, "get", OTHER_LIST, OTHER_COMMUNE_PAGE)


def test_writing_a_warning_is_for_the_mayor_as_in_the_api(people: People) -> None:
    expect_statuses(people, "get", NEW, MAYORS_PAGE)
    expect_statuses(people, "get", OTHER_NEW, OTHER_COMMUNE_PAGE)


def test_previewing_is_for_the_mayor_and_sends_nothing(people: People) -> None:
    expect_statuses(people, "post", NEW, MAYORS_PAGE, {**FORM, "step": "preview"})
    expect_statuses(people, "post", OTHER_NEW, OTHER_COMMUNE_PAGE, {**FORM, "step": "preview"})
    assert broadcasts() == 0 and not Message.objects.exists()


def test_sending_is_for_the_mayor(people: People) -> None:
    sent = {"anon": 302, "resident": 403, "referent": 403, "mayor": 302, "other_mayor": 404, "gendarme_06": 403,
            "gendarme_08": 404, "staff": 302}  # fmt: skip
    assert {persona: send_as(people, persona, NEW) for persona in sent} == sent
    assert list(Alert.objects.order_by("pk").values_list("commune__insee", "reporter")) == [
        ("06128", people.saint_paul.mayor.pk), ("06128", people.staff.pk)]  # fmt: skip
    sent = {"anon": 302, "resident": 403, "referent": 404, "mayor": 404, "other_mayor": 302, "gendarme_06": 404,
            "gendarme_08": 403, "staff": 302}  # fmt: skip
    assert {persona: send_as(people, persona, OTHER_NEW) for persona in sent} == sent
    assert broadcasts() == 4


def send_as(people: People, persona: str, path: str) -> int:
    """A send as the preview's form posts it: whoever may not even preview never gets a token, so one is made."""
    data = {**FORM, "step": "send", "draft": uuid.uuid4().hex}
    return int(people.client(persona).post(path, data).status_code)


def test_a_report_and_its_figures_are_for_the_communes_moderators(people: People) -> None:
    alert = sent_by_mayor(people)
    for path in (report_path(alert), report_path(alert) + "report.json"):
        expect_statuses(people, "get", path, MODERATORS_PAGE)
        # Under another commune's address the warning does not exist, even for its mayor and staff.
        expect_statuses(people, "get", path.replace("06128", "08105"), {**OTHER_COMMUNE_PAGE, "other_mayor": 404,
                                                                        "staff": 404})  # fmt: skip


def test_an_alert_that_is_no_broadcast_has_no_report_here(people: People) -> None:
    alert = sent_by_mayor(people)
    Alert.objects.filter(pk=alert.pk).update(kind=AlertKind.REPORT)
    assert people.client("mayor").get(report_path(alert)).status_code == 404


def test_only_the_mayor_is_offered_to_write_one(people: People) -> None:
    assert 'href="/desk/communes/06128/warnings/new/"' in people.client("mayor").get(LIST).content.decode()
    assert 'href="/desk/communes/06128/warnings/new/"' not in people.client("referent").get(LIST).content.decode()


def test_the_desk_menu_offers_the_warnings(people: People) -> None:
    page = people.client("referent").get(LIST).content.decode()
    assert re.search(r'<a href="/desk/communes/06128/warnings/" aria-current="page">', page)


# --- The preview, against what the fan-out then does ---------------------------------------------------------


def population(people: People) -> None:
    """Members planned every way: push, both, SMS, SMS for want of a device, nothing chosen, opted out."""
    commune = people.saint_paul.commune
    member(commune, channels=["push"])
    member(commune, channels=["push", "sms"])
    member(commune, channels=["sms"])
    member(commune, channels=["push"], device=False)
    member(commune, channels=[])
    SmsOptOut.objects.create(phone=str(member(commune, channels=["sms"], device=False).phone))


@pytest.mark.usefixtures("transports")
@pytest.mark.parametrize("channels", [["push", "sms"], ["push"], ["sms"]])
@pytest.mark.parametrize("targeted", [False, True])
def test_the_preview_counts_what_the_fan_out_then_delivers(
    people: People, django_capture_on_commit_callbacks: Callable[..., Any], channels: list[str], targeted: bool
) -> None:
    population(people)
    north = NeighbourhoodFactory.create(commune=people.saint_paul.commune)
    for pk in list(Membership.objects.filter(commune=people.saint_paul.commune).values_list("pk", flat=True))[::2]:
        Membership.objects.filter(pk=pk).update(neighbourhood=north)
    changes: dict[str, Any] = {"channels": channels, "neighbourhoods": [north.pk] if targeted else []}
    mayor = people.client("mayor")
    answer = preview(mayor, **changes)
    assert answer.status_code == 200
    reach = answer.context["preview"].reach
    with django_capture_on_commit_callbacks(execute=True):  # the fan-out, in-process, once the warning commits
        sent = mayor.post(NEW, {**FORM, **changes, "step": "send", "draft": answer.context["draft"]})
    assert sent.status_code == 302
    rows = Delivery.objects.filter(message__source_id=Alert.objects.get().pk)
    by_channel = Counter(rows.values_list("channel", flat=True))
    assert (reach.push, reach.sms) == (by_channel["push"], by_channel["sms"])
    assert reach.reached == rows.values("user").distinct().count() > 0
    assert not rows.filter(status=DeliveryStatus.PENDING).exists()  # it did go out


def test_the_mayor_who_writes_it_is_not_counted(people: People) -> None:
    by_mayor = preview(people.client("mayor")).context["preview"].reach
    by_staff = preview(people.client("staff")).context["preview"].reach
    # The personas chose push and SMS and have no device: SMS, the mayor's own excepted.
    assert (by_mayor.members, by_mayor.sms) == (3, 3)
    assert (by_staff.members, by_staff.sms) == (4, 4)


def test_the_preview_shows_the_figures_and_a_form_to_send_or_edit(people: People) -> None:
    population(people)
    answer = preview(people.client("mayor"), title="Fête", body="La fête du village est reportée.")
    page, reach = answer.content.decode(), answer.context["preview"].reach
    assert (reach.push, reach.sms, reach.unreached) == (2, 6, 2)
    figures = re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', page)
    assert figures == [("Notification sur l'application", "2"), ("SMS", "6"), ("Aucun canal", "2")]
    assert "Vigilants Saint-Paul-de-Vence : Fete - La fete du village est reportée." in page  # as sent
    assert "GSM-7" in page and "remplacés" in page  # ê is not in the SMS alphabet: replaced
    assert 'name="step" value="send"' in page and 'name="step" value="edit"' in page
    assert 'name="csrfmiddlewaretoken"' in page and not INLINE_CODE.search(page)


def test_the_preview_counts_the_parts_of_the_sms_really_sent(
    people: People, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SMS_SEGMENT_PRICE_EUR = 0.1
    # Were the sender to send a longer text, outside GSM-7: the preview follows it (71 UCS-2 characters: 2 parts).
    monkeypatch.setattr(composer, "sms_text", lambda message: "ê" * 71)
    answer = preview(people.client("mayor"))
    found = answer.context["preview"]
    assert (found.sms.shape.encoding, found.sms.shape.segments, found.reach.sms) == ("UCS-2", 2, 3)
    assert (found.sms_segments, found.sms_cost) == (6, Decimal("0.6"))
    page = answer.content.decode()
    assert "UCS-2" in page and "0,60 €" in page and "6 (2 × 3 destinataires par SMS)" in page


def test_the_preview_says_who_waits_for_the_end_of_their_quiet_hours(people: People) -> None:
    member(people.saint_paul.commune, quiet_hours={"start": "22:00", "end": "07:00"})
    with time_machine.travel(datetime(2026, 3, 10, 23, 30, tzinfo=PARIS), tick=False):
        calm = preview(people.client("mayor"))
        urgent = preview(people.client("mayor"), urgent="on")
    assert calm.context["preview"].reach.held == 1
    assert "le message lui parviendra quand elles finiront (au plus tard mercredi 11 mars à 07:00)" in calm.content.decode()
    assert urgent.context["preview"].reach.held == 0 and "heures de silence :" not in urgent.content.decode()


def test_a_warning_without_sms_shows_no_sms(people: People) -> None:
    answer = preview(people.client("mayor"), channels=["push"])
    assert answer.context["preview"].sms is None and "Le SMS" not in answer.content.decode()


# --- Bad input -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["preview", "send"])
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "Ce champ ne peut être vide."),
        ({"title": "x" * 121}, "title", "au plus 120\xa0caractères"),
        ({"body": "y" * 1001}, "body", "au plus 1000\xa0caractères"),
        ({"body": "Un individu maghrébin rôde rue des Oliviers."}, "body", "l'origine ou la couleur de peau"),
        ({"title": "Des gens du voyage", "body": "Ils sont arrivés ce matin."}, "body", "l'origine ou la couleur de peau"),
        ({"channels": []}, "channels", "Choisissez au moins un canal"),
        ({"channels": ["fax"]}, "channels", "n'est pas un choix valide"),
        ({"neighbourhoods": ["abc"]}, "neighbourhoods", "Un nombre entier valide est requis."),
        ({"neighbourhoods": "other-commune"}, "neighbourhoods", "Quartier inconnu dans cette commune."),
    ],
)
def test_bad_input_is_shown_again_with_its_errors_and_nothing_is_sent(
    people: People, step: str, changes: dict[str, Any], field: str, message: str
) -> None:
    if changes.get("neighbourhoods") == "other-commune":
        changes = {"neighbourhoods": [NeighbourhoodFactory.create(commune=people.charleville.commune).pk]}
    data = {**FORM, **changes, "step": step, "draft": "a" * 32}
    answer = people.client("mayor").post(NEW, data)
    assert answer.status_code == 400
    assert message in " ".join(answer.context["form"].errors[field])
    page = answer.content.decode()
    assert f'id="warning-{field}' in page and message.replace("'", "&#x27;") in page
    assert broadcasts() == 0 and not Message.objects.exists()


def test_editing_goes_back_to_the_form_as_typed(people: People) -> None:
    answer = people.client("mayor").post(NEW, {**FORM, "urgent": "on", "channels": ["sms"], "step": "edit"})
    page = answer.content.decode()
    assert answer.status_code == 200 and 'value="Coupure d&#x27;eau"' in page
    assert re.search(r'name="urgent" checked', page) and re.search(r'value="sms" checked', page)
    assert not re.search(r'value="push" checked', page)


# --- Sending -------------------------------------------------------------------------------------------------


def test_sending_records_the_warning_and_opens_its_report(people: People) -> None:
    north = NeighbourhoodFactory.create(commune=people.saint_paul.commune)
    answer = send(people.client("mayor"), urgent="on", neighbourhoods=[north.pk], channels=["sms"])
    alert = Alert.objects.get()
    assert answer.status_code == 302 and answer["Location"] == report_path(alert)
    assert (alert.title, alert.urgent, alert.channels, alert.reporter) == ("Coupure d'eau", True, ["sms"],
                                                                          people.saint_paul.mayor)  # fmt: skip
    assert list(alert.target_neighbourhoods.all()) == [north]
    message = Message.objects.get()
    assert (message.exclude_user_id, message.neighbourhood_ids, message.urgent) == (people.saint_paul.mayor.pk,
                                                                                    [north.pk], True)  # fmt: skip


def test_a_warning_is_sent_once_however_often_its_form_is_posted(people: People) -> None:
    mayor = people.client("mayor")
    draft = preview(mayor).context["draft"]
    first = mayor.post(NEW, {**FORM, "step": "send", "draft": draft})
    again = mayor.post(NEW, {**FORM, "step": "send", "draft": draft})
    assert broadcasts() == 1
    assert first["Location"] == again["Location"] == report_path(Alert.objects.get())


def test_a_send_without_a_preview_shows_the_preview(people: People) -> None:
    answer = people.client("mayor").post(NEW, {**FORM, "step": "send"})
    assert answer.status_code == 200 and "Rien n'est parti : vérifiez" in answer.content.decode()
    assert broadcasts() == 0


def test_posting_needs_the_csrf_token(people: People) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people.saint_paul.mayor)
    draft = "b" * 32
    assert browser.post(NEW, {**FORM, "step": "send", "draft": draft}).status_code == 403
    assert broadcasts() == 0
    browser.get(NEW)  # sets the CSRF cookie, as the form's page does
    token = browser.cookies["csrftoken"].value
    answer = browser.post(NEW, {**FORM, "step": "send", "draft": draft, "csrfmiddlewaretoken": token})
    assert answer.status_code == 302 and broadcasts() == 1


# --- The list and the live report ----------------------------------------------------------------------------


@pytest.mark.usefixtures("transports")
def test_the_list_shows_each_warning_with_its_figures(
    people: People, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    older = sent_by_mayor(people, title="Ancien message")
    with django_capture_on_commit_callbacks(execute=True):
        newer = sent_by_mayor(people, title="Nouveau message", urgent=True)
    page = people.client("referent").get(LIST).content.decode()
    assert page.index("Nouveau message") < page.index("Ancien message")
    row = re.search(rf'href="{report_path(newer)}">Nouveau message</a>.*?</tr>', page, re.DOTALL)
    assert row is not None
    # 3 recipients by SMS (the personas, their mayor excepted), all accepted; the older one still queued.
    assert re.findall(r"<td>(\d+)</td>", row.group(0)) == ["3", "0", "3", "0", "0", "0"]
    old_row = re.search(rf'href="{report_path(older)}">.*?</tr>', page, re.DOTALL)
    assert old_row is not None and re.findall(r"<td>(\d+)</td>", old_row.group(0))[-1] == "1"  # being planned


@pytest.mark.usefixtures("transports")
def test_the_report_json_follows_the_deliveries(people: People, django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    member(people.saint_paul.commune, channels=["push"])
    queued = sent_by_mayor(people)
    figures = people.client("referent").get(report_path(queued) + "report.json").json()
    assert (figures["pending"], figures["done"], figures["recipients"]) == (1, False, 0)  # not planned yet
    with django_capture_on_commit_callbacks(execute=True):
        alert = sent_by_mayor(people)
    url = report_path(alert) + "report.json"
    figures = people.client("referent").get(url).json()
    assert figures["channels"] == {
        "push": {"sent": 1, "delivered": 0, "failed": 0, "unknown": 0, "pending": 0},
        "sms": {"sent": 3, "delivered": 0, "failed": 0, "unknown": 0, "pending": 0},
    }
    assert (figures["recipients"], figures["pending"], figures["done"]) == (4, 0, True)
    sms = Delivery.objects.filter(message__source_id=alert.pk, channel="sms").order_by("pk")
    Delivery.objects.filter(pk=sms[0].pk).update(status=DeliveryStatus.DELIVERED)
    Delivery.objects.filter(pk=sms[1].pk).update(status=DeliveryStatus.FAILED)
    Delivery.objects.filter(pk=sms[2].pk).update(status=DeliveryStatus.PENDING)
    figures = people.client("referent").get(url).json()
    assert figures["channels"]["sms"] == {"sent": 1, "delivered": 1, "failed": 1, "unknown": 0, "pending": 1}
    assert (figures["pending"], figures["done"]) == (1, False)
    assert figures["summary"] == "Envoi en cours : 2 accepté(s) par les opérateurs, 1 en attente."


def test_the_report_page_refreshes_itself_and_has_a_link_without_javascript(people: People) -> None:
    alert = sent_by_mayor(people)
    page = people.client("mayor").get(report_path(alert)).content.decode()
    assert f'data-report-url="{report_path(alert)}report.json"' in page and 'data-pending="1"' in page
    assert re.search(r'<script src="[^"]*desk/report\.js"', page) and not INLINE_CODE.search(page)
    assert re.search(r'role="status" aria-live="polite" data-report-status>Envoi en préparation', page)
    assert f'<a href="{report_path(alert)}">Actualiser</a>' in page
    assert 'data-figure="channels.sms.pending"' in page and "<caption>" in page


def test_the_pages_load_their_own_stylesheet_and_no_inline_code(people: People) -> None:
    mayor = people.client("mayor")
    for answer in (mayor.get(LIST), mayor.get(NEW), preview(mayor), mayor.post(NEW, {**FORM, "title": ""})):
        page = answer.content.decode()
        assert "desk/warnings.css" in page and not INLINE_CODE.search(page), answer.request["PATH_INFO"]


def test_the_preview_shows_who_would_be_called_and_what_the_calls_cost(people: People, settings: Any) -> None:
    """Calls are offered: they reach only those who chose them (or have only a landline)."""
    settings.CALL_MINUTE_PRICE_EUR = 0.15
    for _ in range(3):
        member(people.saint_paul.commune, channels=["voice"])
    answer = preview(people.client("mayor"), channels=["push", "sms", "voice"])
    found, page = answer.context["preview"], answer.content.decode()
    assert found.calls == 3 and found.call_cost == found.call_minutes * Decimal("0.15")
    assert ("Appel vocal", "3") in re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', page)
    assert f"<dd>{found.call_minutes} min</dd>" in page
    assert f"{found.call_cost:.2f}".replace(".", ",") + " € (0,15 €/min)" in page
    # Without calls ticked, nobody is called and nothing about calls is shown.
    page = preview(people.client("mayor"), channels=["push", "sms"]).content.decode()
    assert "Appel vocal" not in page and "€/min" not in page


def test_the_form_offers_calls_and_ticks_every_channel_at_first(people: People) -> None:
    page = people.client("mayor").get(NEW).content.decode()
    assert 'value="voice"' in page and page.count('name="channels"') == 3
    assert page.count("checked") >= 3


def test_the_live_report_counts_the_calls_heard_and_confirmed(people: People) -> None:
    from django.utils import timezone as tz

    from desk.warnings_views import message_report_figures
    from notifications.models import Delivery, Message

    town = people.saint_paul
    message = Message.objects.create(commune=town.commune, kind="broadcast", title="Eau", body="Coupure",
                                     channels=["voice"], status="planned")  # fmt: skip
    rows = [("delivered", "", True), ("failed", "busy", False), ("pending", "", False)]
    for user, (status, code, confirmed) in zip([town.resident, town.resident2, town.referent], rows, strict=True):
        Delivery.objects.create(message=message, user=user, channel="voice", status=status, error_code=code,
                                provider_id="CA1" if status != "pending" else "",
                                confirmed_at=tz.now() if confirmed else None)  # fmt: skip
    figures = message_report_figures(message)
    assert figures["channels"]["voice"] == {"sent": 2, "delivered": 1, "failed": 1, "unknown": 0, "pending": 1}
    assert figures["pending"] == 1 and not figures["done"]
    Delivery.objects.filter(message=message, status="pending").update(status="delivered", provider_id="CA3")
    assert message_report_figures(message)["done"]
