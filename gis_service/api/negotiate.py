"""Content negotiation for pages that serve both people (HTML) and programs (JSON)."""

from __future__ import annotations

_HTML = ("text/html", "application/xhtml+xml")


def _quality(params: list[str]) -> float:
    for p in params:
        key, _, value = p.strip().partition("=")
        if key.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0


def prefers_html(accept: str | None) -> bool:
    """True when the client names HTML and ranks it above JSON.

    Browsers send ``text/html,...,*/*;q=0.8``; programs send ``application/json``, ``*/*``
    or nothing. A wildcard alone, or a tie, keeps JSON: API clients never get a page they
    did not ask for.
    """
    html = json = 0.0
    for entry in (accept or "").split(","):
        media, *params = entry.split(";")
        media = media.strip().lower()
        q = _quality(params)
        if media in _HTML:
            html = max(html, q)
        elif media in ("application/json", "application/*", "*/*"):
            json = max(json, q)
    return html > json
