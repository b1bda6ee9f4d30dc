"""Structured, redacted logging: one `key=value` line per event.

Secrets registered at start (tokens, keys, signing secrets) and anything shaped like
an email address are scrubbed from every record, whatever logged it; libraries that
log URLs or bodies are kept quiet (QUIET_LOGGERS). Callers log IDs, never names or emails.
"""

from __future__ import annotations

import logging
import re
import sys
import threading

_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    if value and len(value) >= 6:
        with _lock:
            _secrets.add(value)


# An email address, plain or URL-encoded (`kate.austen%40example.com` in a query string).
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+(?:@|%40)[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")

# Libraries whose chatty levels log what we must not keep: httpx's INFO line is every URL
# with its query (`GET …/users?email=…`); slack_sdk's DEBUG lines carry whole request and
# response bodies (message texts with candidate names, profiles with emails). They keep
# their warnings and errors.
QUIET_LOGGERS = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "slack_sdk": logging.INFO,
                 "urllib3": logging.WARNING, "hpack": logging.WARNING}


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, "[redacted]")
    return _EMAIL_RE.sub("[email]", text)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None)
        line = super().format(record)
        if fields:
            line += " " + " ".join(f"{k}={_fmt(v)}" for k, v in fields.items())
        return redact(line)


def _fmt(value: object) -> str:
    text = str(value)
    return f'"{text}"' if (" " in text or not text) else text


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, quiet in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(quiet)


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: object) -> None:
    logger.log(level, name, extra={"fields": fields})
