"""Reading a request body with a ceiling, before anything parses it.

A declared Content-Length over the limit is refused without reading a byte. A chunked
body (no Content-Length) is read through a stream capped one byte past the limit, so
at most `limit + 1` bytes are ever held, whatever the client keeps sending.
"""

from __future__ import annotations

from flask import request


def bounded_body(limit: int) -> bytes | None:
    """The request body (also cached for later `request.get_data()` calls), or None
    when it is larger than `limit` bytes."""
    if (request.content_length or 0) > limit:
        return None
    # werkzeug wraps the input in a stream that stops at max_content_length; one byte
    # more than the limit tells "exactly at the limit" from "over it".
    request.max_content_length = limit + 1
    body = request.get_data()
    return None if len(body) > limit else body
