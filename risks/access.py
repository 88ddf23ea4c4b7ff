"""Who may issue a commune's public warnings: its mayors, the referents a mayor named, staff.

Over `communes.access`, never beside it: a delegation counts only while its holder is still a referent of the
commune (a referent demoted to resident, or excluded, loses it without anyone revoking it).
"""

from accounts.models import User
from communes import access
from communes.models import Commune, Role

from .models import WarningDelegate


def is_delegate(user: User, commune: Commune) -> bool:
    """Named by a mayor, and still a referent of the commune."""
    if not user.is_authenticated:
        return False
    if access.role_in(user, commune) != Role.REFERENT:
        return False
    return WarningDelegate.objects.filter(commune=commune, user=user).exists()


def may_warn(user: User, commune: Commune) -> bool:
    """Issue, update and end the commune's warnings, relay or dismiss its vigilance."""
    if not user.is_authenticated:
        return False
    return user.is_staff or access.is_mayor(user, commune) or is_delegate(user, commune)


def manages_warnings(user: User, commune: Commune) -> bool:
    """Name or revoke delegates and set the commune's warning rules: its mayors and staff."""
    return user.is_authenticated and (user.is_staff or access.is_mayor(user, commune))


def reads_vigilance(user: User, commune: Commune) -> bool:
    """See the vigilance prompts (who is prompted: mayors and referents; staff)."""
    return user.is_authenticated and (user.is_staff or access.is_moderator(user, commune))
