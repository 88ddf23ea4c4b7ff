"""GSM-7 text: what stays, what is replaced, how many segments, fitting one segment."""

import pytest

from providers.gsm import fit_one_segment, is_gsm7, segments, septets, to_gsm7


def test_it_keeps_what_gsm7_has():
    text = "éèàùìò Ç Øø Åå ÄÖÑÜ äöñü ß É @£$¥ €[]{}^~|\\ 0-9 ?!"

    assert to_gsm7(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fenêtre forcée", "fenetre forcée"),
        ("garçon", "garcon"),  # GSM-7 has Ç but not ç
        ("l\u2019individu", "l'individu"),
        ("\u00abvoiture\u00bb", '"voiture"'),
        ("\u201cvoiture\u201d", '"voiture"'),
        ("cœur Œuvre", "coeur OEuvre"),
        ("attendez\u2026", "attendez..."),
        ("8h\u201310h \u2014 rue", "8h-10h - rue"),
        ("10\u00a0h et 11\u202fh", "10 h et 11 h"),
        ("Alerte \U0001f6a8 vol", "Alerte  vol"),
        ("île, août, Noël", "ile, aout, Noel"),
        ("\u00ea", "e"),
        ("e\u0301", "é"),  # combining accent: normalised first, then kept
    ],
)
def test_it_replaces_the_rest_by_its_closest_gsm7_form(text, expected):
    assert to_gsm7(text) == expected
    assert is_gsm7(to_gsm7(text))


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # extension characters count two septets
        ("€" * 81, 2),
        ("a" * 152 + "€", 1),
        ("ê" * 70, 1),  # one non-GSM character: UCS-2, 70 per SMS
        ("ê" * 71, 2),
        ("ê" * 134, 2),
        ("ê" * 135, 3),
        ("\U0001f6a8" * 35, 1),  # an emoji is two UTF-16 units
        ("\U0001f6a8" * 36, 2),
    ],
)
def test_it_counts_segments_like_the_carrier(text, count):
    assert segments(text) == count


def test_it_never_splits_an_escape_pair_across_parts():
    # 306 septets would fit two parts of 153, but the first euro sign cannot straddle parts one and two:
    # 152 | 76 euros (152) | 1 euro.
    assert segments("a" * 152 + "€" * 77) == 3
    assert segments("a" * 152 + "€" + "a" * 7) == 2


def test_it_fits_an_alert_in_one_segment():
    body = "Individu suspect rôdant près des voitures, rue de l\u2019Église, portant une veste « rouge » " * 3

    text = fit_one_segment("Vigilants Saint-Paul : ", body)

    assert septets(text) <= 160
    assert segments(text) == 1
    assert text.startswith("Vigilants Saint-Paul : Individu suspect rodant")
    assert text.endswith("...")
    assert " ..." not in text  # cut at a word boundary, without a dangling space


def test_it_leaves_a_short_alert_alone():
    assert fit_one_segment("Vigilants : ", "Cambriolage rue des Remparts") == "Vigilants : Cambriolage rue des Remparts"


def test_it_truncates_even_a_too_long_prefix():
    text = fit_one_segment("x" * 200, "body", max_len=50)

    assert text == "x" * 47 + "..."


def test_it_counts_extension_characters_when_fitting():
    text = fit_one_segment("", "€" * 100)

    assert septets(text) <= 160
    assert text == "€" * 78 + "..."
