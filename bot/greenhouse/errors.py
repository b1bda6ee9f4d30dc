"""Typed Harvest errors, one per HTTP status family, carrying Greenhouse's own words.

`user_message()` is the one sentence a Slack user sees; it never includes a stack
trace, a URL with a key, or a request body.
"""

from __future__ import annotations

from typing import Any


class GreenhouseError(Exception):
    status: int | None = None

    def __init__(self, message: str, *, status: int | None = None, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.errors = errors or []

    def details(self) -> str:
        """Greenhouse's words: the message, then each listed error."""
        # "HTTP 422" is our placeholder when Greenhouse gave only an error list: show its words alone.
        synthetic = self.errors and self.message == f"HTTP {self.status}"
        parts = [self.message] if self.message and not synthetic else []
        parts += [e for e in self.errors if e and e != self.message]
        return "; ".join(parts)

    def user_message(self) -> str:
        return f"Greenhouse answered with an error: {self.details()}."


class AuthenticationError(GreenhouseError):
    status = 401

    def user_message(self) -> str:
        return (
            "Greenhouse refused the bot's credentials (401). An admin should check the Harvest API "
            "credentials the bot is configured with."
        )


class PermissionDenied(GreenhouseError):
    status = 403

    def user_message(self) -> str:
        return (
            f"Greenhouse refused this ({self.details() or 'forbidden'}). Either the bot's Harvest credentials "
            "lack permission for this endpoint, or the acting Greenhouse user may not change this record."
        )


class NotFound(GreenhouseError):
    status = 404

    def user_message(self) -> str:
        return (
            f"Greenhouse could not find it ({self.details() or 'not found'}). If this was a change, the acting "
            "Greenhouse user may lack access to the record."
        )


class ValidationFailed(GreenhouseError):
    status = 422

    def user_message(self) -> str:
        return f"Greenhouse rejected the change: {self.details()}."


class RateLimited(GreenhouseError):
    status = 429

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, status=429, **kw)
        self.retry_after = retry_after

    def user_message(self) -> str:
        return "Greenhouse is busy right now (rate limit). Please try again in a minute."


class ServerError(GreenhouseError):
    def user_message(self) -> str:
        return f"Greenhouse had a server error ({self.status}). Please try again in a few minutes."


class Unreachable(GreenhouseError):
    """Connection failures and timeouts: no HTTP status at all."""

    def user_message(self) -> str:
        return "Greenhouse did not answer in time. Please try again in a few minutes."


class Unconfirmed(GreenhouseError):
    """A write whose outcome is unknown (timed out after being sent): never retried blindly."""

    def user_message(self) -> str:
        return (
            "Greenhouse did not confirm the change in time; it may or may not have been made. "
            "The bot will check Greenhouse before trying again."
        )


_BY_STATUS: dict[int, type[GreenhouseError]] = {
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    422: ValidationFailed,
}


def parse_error_body(body: Any) -> tuple[str, list[str]]:
    """Greenhouse error bodies come as {"message": ...}, {"errors": [{"message","field"}]},
    or (v3) {"errors": ["plain string", ...]}. Return (message, errors)."""
    message = ""
    errors: list[str] = []
    if isinstance(body, dict):
        if isinstance(body.get("message"), str):
            message = body["message"]
        elif isinstance(body.get("error"), str):
            message = body["error"]
        raw = body.get("errors")
        if isinstance(raw, list):
            for item in raw:
                if isinstance(item, str):
                    errors.append(item)
                elif isinstance(item, dict) and item.get("message"):
                    field = item.get("field")
                    errors.append(f"{field}: {item['message']}" if field else str(item["message"]))
    elif isinstance(body, str):
        message = body.strip()[:300]
    return message, errors


def error_for(status: int, body: Any, *, retry_after: float | None = None) -> GreenhouseError:
    message, errors = parse_error_body(body)
    if status == 429:
        return RateLimited(message or "Rate limit exceeded", retry_after=retry_after, errors=errors)
    if status >= 500:
        return ServerError(message or f"HTTP {status}", status=status, errors=errors)
    cls = _BY_STATUS.get(status, GreenhouseError)
    return cls(message or f"HTTP {status}", status=status, errors=errors)
