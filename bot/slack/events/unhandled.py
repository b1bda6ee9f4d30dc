"""Every event the bot does not handle is still answered 200. Bolt answers 404 to an
unhandled event, and Slack retries such deliveries and in the end disables event
delivery for an app that keeps failing them."""

from __future__ import annotations

import re

from slack_bolt import Ack, App

ANY_EVENT = re.compile(r".*")


def ignore(ack: Ack) -> None:
    ack()


def register(app: App) -> None:
    app.event(ANY_EVENT)(ignore)
