"""Reports and confirmations by SMS, through Twilio's signed inbound webhook (alerts/sms_reports.py)."""

import logging
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from twilio.request_validator import RequestValidator

from accounts.models import User
from alerts.models import Alert, AlertStatus, CommunePolicy, Confirmation
from alerts.sms_reports import category_of
from communes.models import Membership
from conftest import Town, client_for, make_town
from notifications.models import Delivery, DeliveryStatus, Message, SmsOptOut
from providers.gsm import is_gsm7
from tests.factories import CommuneFactory, MembershipFactory, UserFactory

TOKEN = "twilio-test-auth-token"
BASE = "https://vigilants.example.fr"
INBOUND = "/api/v1/webhooks/twilio/inbound"
RECEIVED = "Signalement reçu : il sera vérifié par la mairie avant diffusion."
NOT_A_MEMBER = "n'est pas celui d'un membre d'une commune participante"


@pytest.fixture(autouse=True)
def _twilio(settings: Any) -> None:
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.PUBLIC_BASE_URL = BASE


def sms(sender: User | str, body: str, sid: str | None = None) -> str:
    """Twilio posting one SMS from `sender` to the commune's number, signed; the TwiML answer's text."""
    params = {"MessageSid": sid or f"SM{uuid.uuid4().hex}", "From": str(getattr(sender, "phone", sender)),
              "To": "+33700000001", "Body": body}  # fmt: skip
    signature = RequestValidator(TOKEN).compute_signature(BASE + INBOUND, params)
    response = Client().post(INBOUND, params, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    text: str = response.content.decode().replace("&apos;", "'").replace("&quot;", '"')
    return text


def approve(town: Town, alert: Alert, on_commit: Any) -> None:
    """The mayor approves through the API; the fan-out that runs after commit plans and sends (tasks in-process)."""
    with on_commit(execute=True):
        assert client_for(town.mayor).post(f"/api/v1/alerts/{alert.pk}/approve").status_code == 200


def published_by_sms(town: Town, on_commit: Any, body: str = "Cambriolage rue des Oliviers, porte fracturée") -> Alert:
    """A resident's SMS report, approved by the mayor: its SMS go to the members without a device."""
    sms(town.resident, body)
    alert = Alert.objects.get(reporter=town.resident)
    approve(town, alert, on_commit)
    return alert


@pytest.mark.django_db
def test_a_members_sms_becomes_a_pending_report_the_mayor_publishes(
    saint_paul: Town, django_capture_on_commit_callbacks: Any
) -> None:
    answer = sms(saint_paul.resident, "Cambriolage rue des Oliviers, porte fracturée")
    assert RECEIVED in answer
    alert = Alert.objects.get()
    assert (alert.status, alert.reporter, alert.commune, alert.category) == (
        AlertStatus.PENDING, saint_paul.resident, saint_paul.commune, "cambriolage")  # fmt: skip
    assert alert.description == "Cambriolage rue des Oliviers, porte fracturée"
    # Moderated like any other: neighbours do not see it before the mayor approves it.
    assert client_for(saint_paul.resident2).get(f"/api/v1/alerts/{alert.pk}").status_code == 404
    queue = client_for(saint_paul.mayor).get("/api/v1/alerts?status=pending").json()["results"]
    assert [a["id"] for a in queue] == [alert.pk]
    approve(saint_paul, alert, django_capture_on_commit_callbacks)
    assert client_for(saint_paul.resident2).get(f"/api/v1/alerts/{alert.pk}").json()["status"] == "approved"
    message = Message.objects.get(source_type="alert", source_id=alert.pk)
    planned = set(Delivery.objects.filter(message=message).values_list("user_id", flat=True))
    assert {saint_paul.mayor.pk, saint_paul.referent.pk, saint_paul.resident2.pk} <= planned
    assert saint_paul.resident.pk not in planned  # who reported it knows it


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["unknown", "applicant", "not enrolled", "inactive"])
def test_anyone_but_an_approved_member_is_refused_politely_and_nothing_is_stored(saint_paul: Town, who: str) -> None:
    if who == "unknown":
        sender: User | str = "+33698765432"
    elif who == "applicant":
        sender = saint_paul.applicant
    elif who == "not enrolled":
        sender = UserFactory.create()
        MembershipFactory.create(user=sender, commune=CommuneFactory.create(enrolled=False))
    else:
        sender = saint_paul.resident2
        User.objects.filter(pk=sender.pk).update(is_active=False)
    users, memberships = User.objects.count(), Membership.objects.count()
    answer = sms(sender, "Cambriolage rue des Oliviers")
    assert NOT_A_MEMBER in answer and "17" in answer
    assert is_gsm7(answer)  # 2 GSM-7 parts, not 4 UCS-2 ones
    assert not Alert.objects.exists() and not Confirmation.objects.exists()
    assert (User.objects.count(), Membership.objects.count()) == (users, memberships)


@pytest.mark.django_db
def test_an_unknown_number_is_answered_three_times_a_day_then_no_more(db: None) -> None:
    """An automatic responder answering the refusal must not start an endless exchange of paid SMS."""
    answers = [sms("+33698765432", f"Réponse automatique {i}") for i in range(5)]
    assert [NOT_A_MEMBER in a for a in answers] == [True, True, True, False, False]
    assert answers[-1].endswith("<Response></Response>")
    assert NOT_A_MEMBER in sms("+33698765433", "Bonjour")  # another number has its own count


@pytest.mark.django_db
def test_a_text_naming_appearance_is_refused_with_what_to_rephrase(saint_paul: Town) -> None:
    answer = sms(saint_paul.resident, "Une femme voilée sonne à toutes les portes")
    assert "Décrivez le comportement, pas la personne" in answer
    assert "religion" in answer and "Rien n'a été enregistré" in answer
    assert RECEIVED not in answer
    assert not Alert.objects.exists()
    assert is_gsm7(answer)  # one « » would make it UCS-2: 5 paid parts instead of 2


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "category"), [
    ("Cambriolage rue des Oliviers", "cambriolage"),
    ("tentative de cambriolage cette nuit chemin du Bois", "tentative_cambriolage"),
    ("Une VOITURE tourne dans le lotissement depuis une heure", "vehicule_suspect"),
    ("Véhicule sans plaque garé devant l'école", "vehicule_suspect"),
    ("Individu qui relève les boîtes aux lettres", "individu_suspect"),
    ("Une personne suspecte regarde dans les jardins", "individu_suspect"),
    ("Démarchage pour des calendriers, très insistant", "demarchage_suspect"),
    ("Vol de vélo devant la boulangerie", "vol"),
    ("Dégradation de l'abribus place de la Mairie", "degradation"),
    ("Départ de feu près du stade", "incendie"),
    ("Incendie de poubelles avenue Foch", "incendie"),
    ("Chien errant sur la départementale", "autre"),
    ("Le volet de la mairie claque", "autre"),  # "volet" is not "vol"
])  # fmt: skip
def test_the_category_is_read_from_a_word_of_the_text(saint_paul: Town, body: str, category: str) -> None:
    assert RECEIVED in sms(saint_paul.resident, body)
    assert Alert.objects.get().category == category


def test_the_category_named_first_wins() -> None:
    assert category_of("Voiture suspecte, puis cambriolage au 12") == "vehicule_suspect"
    assert category_of("Cambriolage au 12, une voiture suspecte vue avant") == "cambriolage"


@pytest.mark.django_db
def test_oui_counts_a_confirmation_on_the_alert_last_texted(saint_paul: Town, django_capture_on_commit_callbacks: Any) -> None:
    older = published_by_sms(saint_paul, django_capture_on_commit_callbacks, "Vol de vélo devant la boulangerie")
    later = Alert.objects.create(commune=saint_paul.commune, reporter=saint_paul.referent, category="cambriolage",
                                 description="Maison visitée chemin du Bois", occurred_at=timezone.now())  # fmt: skip
    approve(saint_paul, later, django_capture_on_commit_callbacks)
    texted = Delivery.objects.filter(user=saint_paul.resident2, channel="sms", status=DeliveryStatus.SENT)
    assert texted.count() == 2  # resident2 has no device: the alerts went by SMS
    answer = sms(saint_paul.resident2, " Oui ! ")
    assert "votre confirmation" in answer and "transmise à la mairie" in answer
    later.refresh_from_db()
    older.refresh_from_db()
    assert (later.confirmations_count, older.confirmations_count) == (1, 0)
    assert Confirmation.objects.get().reporter == saint_paul.resident2
    # The same person again counts once; "1" from another member who was texted counts too.
    assert "déjà comptée" in sms(saint_paul.resident2, "OUI")
    assert "transmise à la mairie" in sms(saint_paul.resident, "1")
    later.refresh_from_db()
    assert later.confirmations_count == 2
    # The mayor sees it counted through the API.
    seen = client_for(saint_paul.mayor).get(f"/api/v1/alerts/{later.pk}").json()
    assert seen["confirmations"] == later.confirmations_count


@pytest.mark.django_db
def test_oui_without_an_alert_texted_within_a_day_confirms_nothing(
    saint_paul: Town, django_capture_on_commit_callbacks: Any
) -> None:
    assert "aucune alerte SMS de ces dernières 24 heures" in sms(saint_paul.resident2, "Oui")
    alert = published_by_sms(saint_paul, django_capture_on_commit_callbacks)
    assert Delivery.objects.filter(user=saint_paul.resident2, channel="sms", status=DeliveryStatus.SENT).exists()
    Delivery.objects.filter(user=saint_paul.resident2).update(sent_at=timezone.now() - timedelta(hours=25))
    assert "aucune alerte SMS de ces dernières 24 heures" in sms(saint_paul.resident2, "oui")
    Delivery.objects.filter(user=saint_paul.resident2).update(sent_at=timezone.now(), status=DeliveryStatus.FAILED)
    assert "aucune alerte SMS de ces dernières 24 heures" in sms(saint_paul.resident2, "1")
    alert.refresh_from_db()
    assert alert.confirmations_count == 0 and not Confirmation.objects.exists()
    assert not Alert.objects.exclude(pk=alert.pk).exists()  # "oui" is never a report


@pytest.mark.django_db
def test_stop_and_start_are_unchanged_for_members(saint_paul: Town) -> None:
    phone = str(saint_paul.resident2.phone)
    assert "vous ne recevrez plus d'alertes par SMS" in sms(saint_paul.resident2, "ARRÊT")
    assert SmsOptOut.objects.filter(phone=phone).exists()
    # OUI from a number that opted out still opts it back in (as START), and confirms nothing.
    assert "vous recevrez à nouveau les alertes par SMS" in sms(saint_paul.resident2, "Oui")
    assert not SmsOptOut.objects.exists()
    sms(saint_paul.resident2, "STOP")
    assert "vous recevrez à nouveau les alertes par SMS" in sms(saint_paul.resident2, "START")
    assert not SmsOptOut.objects.exists()
    assert not Alert.objects.exists() and not Confirmation.objects.exists()


@pytest.mark.django_db
def test_reports_by_sms_are_throttled_with_the_apis_budget(saint_paul: Town) -> None:
    answers = [sms(saint_paul.resident, f"Fait suspect numéro {i} rue des Oliviers") for i in range(11)]
    assert [RECEIVED in a for a in answers] == [True] * 10 + [False]
    assert "réessayez dans" in answers[-1]
    assert Alert.objects.count() == 10
    # One budget per person whether they text or use the app.
    body = {"commune": "06128", "category": "vol", "description": "Vol de vélo au stade"}
    assert client_for(saint_paul.resident).post("/api/v1/alerts", body, format="json").status_code == 429
    assert RECEIVED in sms(saint_paul.resident2, "Vol de vélo au stade")


@pytest.mark.django_db
def test_a_replayed_sms_makes_one_report(saint_paul: Town) -> None:
    sid = "SM" + "b" * 32
    assert RECEIVED in sms(saint_paul.resident, "Cambriolage rue des Oliviers", sid=sid)
    assert sms(saint_paul.resident, "Cambriolage rue des Oliviers", sid=sid).endswith("<Response></Response>")
    assert Alert.objects.count() == 1


@pytest.mark.django_db
def test_a_text_too_short_is_explained_and_not_stored(saint_paul: Town) -> None:
    assert "décrivez ce que vous avez vu" in sms(saint_paul.resident, "Vol")
    assert not Alert.objects.exists()


@pytest.mark.django_db
def test_a_member_of_several_communes_reports_to_the_latest_unless_the_text_names_another(saint_paul: Town) -> None:
    other = make_town("08105", "Charleville-Mézières", "08")
    MembershipFactory.create(user=saint_paul.resident, commune=other.commune)
    Membership.objects.filter(user=saint_paul.resident, commune=other.commune).update(decided_at=timezone.now())
    answer = sms(saint_paul.resident, "Vol de vélo devant la gare")
    assert "Signalement enregistré pour Charleville-Mézières" in answer
    assert sms(saint_paul.resident, "06128 Vol de vélo devant la boulangerie").count("Saint-Paul-de-Vence") == 1
    alerts = {a.commune.insee: a.description for a in Alert.objects.select_related("commune")}
    assert alerts == {"08105": "Vol de vélo devant la gare", "06128": "Vol de vélo devant la boulangerie"}


@pytest.mark.django_db
def test_the_communes_auto_approval_applies(saint_paul: Town) -> None:
    CommunePolicy.objects.create(commune=saint_paul.commune, auto_approve_categories=["incendie"])
    assert "diffusé aux membres" in sms(saint_paul.referent, "Incendie de broussailles chemin du Bois")
    alert = Alert.objects.get()
    assert alert.status == AlertStatus.APPROVED
    assert Message.objects.filter(source_type="alert", source_id=alert.pk).exists()
    assert RECEIVED in sms(saint_paul.resident, "Incendie de poubelles avenue Foch")  # residents are moderated
    assert Alert.objects.get(reporter=saint_paul.resident).status == AlertStatus.PENDING


@pytest.mark.django_db
def test_neither_the_number_nor_the_text_is_logged(saint_paul: Town, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sms(saint_paul.resident, "Cambriolage rue des Oliviers")
    sms("+33698765432", "Cambriolage rue des Oliviers")
    sms(saint_paul.resident, "Une femme voilée sonne à toutes les portes")
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "inbound SMS handled: report" in logged
    for secret in (str(saint_paul.resident.phone), "698765432", "Oliviers", "voilée"):
        assert secret not in logged
