"""Names as links to their pages in Greenhouse. The URL comes from bot/app_links.py
(numbers and the configured address only); the name is escaped and kept on one line,
so no name can end the link early, open another, or mention anyone."""

from __future__ import annotations

from bot.app_links import AppLinks

from .common import esc


def link(url: str | None, label: object) -> str:
    """`<url|label>`, or the escaped label alone when there is no URL."""
    if url is None:
        return esc(label)
    return f"<{url}|{esc(' '.join(str(label).split()) or '?')}>"


def job_link(links: AppLinks | None, job_id: int, label: object) -> str:
    return link(links.job(job_id) if links else None, label)


def application_link(links: AppLinks | None, candidate_id: int | None, application_id: int | None, label: object) -> str:
    """A candidate's name, linked to their page opened on this application (plain when either ID is unknown)."""
    url = links.application(candidate_id, application_id) if links and candidate_id and application_id else None
    return link(url, label)
