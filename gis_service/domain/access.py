"""Who may do what: roles of the API (河长办 office staff, 河湖长 chiefs, 公众 viewers).

Pure rules over a ``Principal``; the API resolves tokens to principals and asks here. Viewers
see public information only (chiefs' names and posts, segments, maps: what the notice boards
公示牌 show); phone numbers and tracks are personal data.
"""

from __future__ import annotations

from dataclasses import dataclass

from gis_service.domain.vocab import WRITER_ROLES
from gis_service.errors import AuthenticationError, PermissionDeniedError


@dataclass(frozen=True)
class Principal:
    role: str  # office | chief | viewer
    user_id: int | None = None
    name: str = "anonymous"
    chief_id: str | None = None

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_office(self) -> bool:
        return self.role == "office"


ANONYMOUS = Principal(role="viewer")


def require_token(who: Principal, action: str) -> None:
    if not who.authenticated:
        raise AuthenticationError(f"{action} needs a token (Authorization: Bearer <token>)")


def require_office(who: Principal, action: str) -> None:
    require_token(who, action)
    if not who.is_office:
        raise PermissionDeniedError(f"{action} is for river chief office (河长办) staff")


def require_chief_or_office(who: Principal, action: str) -> None:
    require_token(who, action)
    if who.role not in WRITER_ROLES:
        raise PermissionDeniedError(f"{action} needs a chief's or the office's token")


def upload_owner(who: Principal, declared: str | None) -> str | None:
    """The chief whose patrols this caller may file: a chief only their own (the upload may
    omit the id), the office anyone (None). The file's own chief id is checked against it
    when the upload is parsed."""
    require_chief_or_office(who, "uploading a patrol")
    if who.role != "chief":
        return None
    if declared and declared != who.chief_id:
        raise PermissionDeniedError(
            f"a chief uploads own patrols only ({who.chief_id}), not {declared}'s"
        )
    return who.chief_id


def can_read_patrols_of(who: Principal, chief_id: str) -> bool:
    return who.is_office or (who.role == "chief" and who.chief_id == chief_id)


def check_patrol_reader(who: Principal, chief_id: str) -> None:
    require_token(who, "reading patrols")
    if not can_read_patrols_of(who, chief_id):
        raise PermissionDeniedError("patrols and tracks are visible to their chief and the office")


def sees_personal_data(who: Principal) -> bool:
    """Phone numbers, tracks, problem photos and descriptions: office only (and own records)."""
    return who.is_office


def accountability_scope(who: Principal, requested_chief: str | None) -> str | None:
    """Whose accountability records (提醒/约谈/通报) this caller may list: the office anyone's
    (the chief asked for, or all: None), a chief only their own; viewers none (they are
    personnel matters, not the notice board's)."""
    require_chief_or_office(who, "reading accountability records")
    if who.is_office:
        return requested_chief
    if requested_chief not in (None, who.chief_id):
        raise PermissionDeniedError(
            f"a chief reads own accountability records only ({who.chief_id})"
        )
    return who.chief_id


def check_accountability_reader(who: Principal, chief_id: str) -> None:
    require_chief_or_office(who, "reading accountability records")
    if not (who.is_office or who.chief_id == chief_id):
        raise PermissionDeniedError(
            "an accountability record is visible to its chief and the office"
        )
