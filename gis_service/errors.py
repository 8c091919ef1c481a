"""Domain exceptions. The API layer maps them to HTTP status codes in one table."""

from __future__ import annotations


class GisServiceError(Exception):
    """Base class of every error the service reports to a user."""


class InputError(GisServiceError):
    """Bad user input (a file, a request, an option). Nothing was changed."""

    def __init__(self, message: str, *, source: str | None = None, location: str | None = None):
        self.source = source
        self.location = location
        where = ": ".join(p for p in (source, location) if p)
        super().__init__(f"{where}: {message}" if where else message)
        self.reason = message


class NotFoundError(GisServiceError):
    """A referenced object does not exist."""


class AuthenticationError(GisServiceError):
    """No valid token where one is needed (401)."""


class PermissionDeniedError(GisServiceError):
    """The caller's role does not allow this (403)."""


class ConflictError(GisServiceError):
    """The request contradicts stored data, e.g. a patrol UUID already used by another chief."""


class DatabaseUnavailableError(GisServiceError):
    """PostGIS cannot be reached or lacks something the service needs."""


class WorkerLostError(GisServiceError):
    """The process computing a request stopped before answering (503: send it again)."""


class SetupError(GisServiceError):
    """The environment cannot be prepared; the message says what to install or change."""


class ToolUnavailableError(GisServiceError):
    """A program the service runs is not installed here (503), e.g. Chromium for PDF maps."""
