import pytest

from alerts.sensitive import explain, find_sensitive


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("Deux individus de type maghrébin rôdent", "origine"),
        ("Un homme noir regardait les boîtes aux lettres", "origine"),
        ("Des Roms font du porte-à-porte", "origine"),
        ("Une femme voilée sonne aux portes", "religion"),
        ("Un MUSULMAN barbu", "religion"),
        ("des Roumains vendent des calendriers", "nationalite"),
        ("un étranger avec un fort accent", "nationalite"),
        ("un drogué crie dans la rue", "sante"),
        ("un fou a cassé une vitre", "sante"),
        ("deux homosexuels", "orientation"),
    ],
)
def test_it_flags_what_names_a_person_rather_than_behaviour(text: str, group: str) -> None:
    assert group in {f.group for f in find_sensitive(text)}


@pytest.mark.parametrize(
    "text",
    [
        "Une voiture noire stationne depuis une heure, moteur allumé",
        "Camionnette blanche sans plaque, deux personnes regardent les volets",
        "Un homme en sweat gris a essayé d'ouvrir la porte du garage puis est parti vers la mairie",
        "Vitre brisée sur une Clio rouge, rue de la Fontaine",
        "Individu qui relève les numéros des maisons, vélo bleu",
        "Transport de meubles suspect la nuit",  # 'trans' only as a word, not a prefix
    ],
)
def test_it_lets_factual_descriptions_through(text: str) -> None:
    assert find_sensitive(text) == []


def test_the_explanation_says_what_to_rephrase() -> None:
    message = explain(find_sensitive("Deux Roumains, dont une femme voilée"))
    assert "nationalité" in message and "religion" in message
    assert "« roumains »" in message
    assert "comportement" in message
