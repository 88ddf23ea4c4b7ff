"""Acting on the State's vigilance: the receiver of `risks.signals.vigilance_rose` (connected in RisksConfig.ready)."""

import logging
from typing import Any

from .models import VigilanceChange
from .services import vigilance_prompt

log = logging.getLogger(__name__)


def on_vigilance_rose(sender: Any, change: VigilanceChange, **kwargs: Any) -> None:
    """Prompt the commune's mayors and referents (and relay red where its policy says so).

    Sent after the reading of the sources committed, possibly for many communes in one loop: one commune's failure
    is logged here rather than raised, so that it never keeps the others' mayors from being told.
    """
    try:
        vigilance_prompt(change)
    except Exception:  # logged with its traceback; the reading goes on for the other communes
        log.exception("risks: vigilance change %s: prompting the mayors failed", getattr(change, "pk", None))
