"""Escaping untrusted text for Slack's mrkdwn, on the ground floor: the Slack layer's
builders use it (bot/slack/blocks/common.py), and so does identity, whose sentences
quote a Greenhouse user's name or a Slack email next to a mention."""

from __future__ import annotations


def esc(text: object) -> str:
    """Escape untrusted text for mrkdwn: `<!channel>`, `<@U…>` and links become inert.
    Slack asks for exactly these three characters to be escaped."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
