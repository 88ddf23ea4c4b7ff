"""The ready instructions: one for every hazard and level, the level's own where official advice differs."""

import pytest

from risks import instructions
from risks.models import Hazard, Level


@pytest.mark.parametrize("hazard", Hazard.values)
@pytest.mark.parametrize("level", Level.values)
def test_every_hazard_has_instructions_at_every_level(hazard: str, level: str) -> None:
    text = instructions.ready_text(hazard, level)
    assert 40 < len(text) <= 2000  # fits RiskWarning.instruction
    assert instructions.sources(hazard)


def test_a_red_flood_says_what_saves_lives() -> None:
    text = instructions.ready_text(Hazard.FLOOD, Level.RED)
    for advice in ("abri", "étages", "voiture", "sous-sols", "cours d'eau", "école", "112"):
        assert advice in text, advice


def test_levels_pick_their_own_text_where_advice_differs() -> None:
    flood = [instructions.ready_text(Hazard.FLOOD, level) for level in Level.values]
    assert flood[0] == flood[1]  # information and yellow: the same advice
    assert len(set(flood)) == 3  # orange and red have their own
    assert instructions.ready_text(Hazard.FOREST_FIRE, Level.RED) == instructions.ready_text(Hazard.FOREST_FIRE, Level.ORANGE)
    assert "15" in instructions.ready_text(Hazard.HEATWAVE, Level.RED)


def test_an_industrial_accident_asks_to_shelter_not_to_fetch_children() -> None:
    text = instructions.ready_text(Hazard.INDUSTRIAL, Level.ORANGE)
    assert "bâtiment en dur" in text and "enfants" in text and "ventilation" in text


def test_an_unknown_hazard_or_level_is_refused() -> None:
    with pytest.raises(ValueError):
        instructions.ready_text("volcano", Level.RED)
    with pytest.raises(ValueError):
        instructions.ready_text(Hazard.FLOOD, "purple")
