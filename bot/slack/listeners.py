"""What every Slack listener shares, so that a handler holds only its own work.

Bolt runs a listener in two halves. The ack runs inside Slack's 3 seconds and
does no Harvest work (`ack_now` for clicks; a command checks its text's shape).
The lazy half runs after the ack: `@on_click` and `@on_command` wrap it once for
all handlers. They decode what Slack sent (the button value, the command's text),
build the `Caller` once, run the handler, and turn any failure into one sentence
for the person who clicked or typed (`replies.run_safely`). The handler runs inside a
`Waiting` (bot/waiting.py): when Harvest's budget makes it wait a few seconds or more,
the person is told at once, about how long (bot/slack/waits.py), and the answer comes
after that sentence, never before it.

A decorated handler is still a plain function of one `Event`: unit tests call it
with an Event they build, without HTTP or Bolt. `Listener.lazy(services)` is what
`register()` hands to Bolt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.identity import Caller
from bot.services import Services
from bot.waiting import Waiting, waiting_as

from .replies import run_safely
from .waits import noun_for, waiting_sentence

V = TypeVar("V")


def ack_now(ack: Ack) -> None:
    """The ack of every click: the work happens in the lazy half."""
    ack()


@dataclass(frozen=True)
class Event(Generic[V]):
    """One command or click, as a handler sees it."""

    services: Services
    caller: Caller
    value: V  # what the listener's decoder made of the payload
    body: dict[str, Any]
    respond: Respond
    client: WebClient

    def reply(self, text: str, blocks: list[dict[str, Any]] | None = None, **kw: Any) -> None:
        """Ephemeral, to the person who asked only."""
        self.respond(text=text, blocks=blocks, response_type="ephemeral", **kw)


Tell = Callable[[dict[str, Any], Respond, WebClient], Callable[[str], None]]


def tell_ephemeral(body: dict[str, Any], respond: Respond, client: WebClient) -> Callable[[str], None]:
    """A click's failure: to the clicker only, beside the message they clicked."""
    return lambda text: respond(text=text, response_type="ephemeral", replace_original=False)


def tell_in_dm(body: dict[str, Any], respond: Respond, client: WebClient) -> Callable[[str], None]:
    """A modal's failure: the modal is gone and has no response_url, so by DM."""
    return lambda text: client.chat_postMessage(channel=user_of(body), text=text)


def tell_command(body: dict[str, Any], respond: Respond, client: WebClient) -> Callable[[str], None]:
    return lambda text: respond(text=text, blocks=None, response_type="ephemeral")


def user_of(body: dict[str, Any]) -> str:
    """The Slack user who typed the command (`user_id`) or clicked (`user.id`)."""
    return str(body["user"]["id"]) if "user" in body else str(body["user_id"])


class Listener(Generic[V]):
    """A handler and how its lazy half starts: `decode` reads the payload (None: nothing
    to do after the ack), `what` names it in logs, `tell` is where a failure is said."""

    def __init__(self, handler: Callable[[Event[V]], None], what: str | Callable[[V], str],
                 decode: Callable[[dict[str, Any]], V | None], tell: Tell) -> None:
        self.handler = handler
        self.what = what
        self.decode = decode
        self.tell = tell
        self.__name__ = handler.__name__
        self.__doc__ = handler.__doc__

    def __call__(self, event: Event[V]) -> None:
        self.handler(event)

    def lazy(self, services: Services) -> Callable[..., None]:
        """The lazy half for Bolt: its parameters are the names Bolt injects."""
        handler, decode, what = self.handler, self.decode, self.what

        says_waits = self.tell is not tell_in_dm  # a modal is gone: no DM for a passing wait

        def lazy_half(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
            label = what if isinstance(what, str) else "?"
            say = self.tell(body, respond, client)
            work = Waiting((lambda estimate: say(waiting_sentence(estimate, noun_for(label)))) if says_waits else None)

            def run() -> None:
                nonlocal label
                value = decode(body)  # a stale or forged value costs no Harvest call
                if value is None:
                    return
                if not isinstance(what, str):
                    label = what(value)
                caller = services.identity.caller(user_of(body))
                handler(Event(services, caller, value, body, _AfterWaits(respond, work), client))

            with waiting_as(work):
                run_safely(run, lambda text: (work.settle(), say(text)), what=lambda: label)

        lazy_half.__name__ = handler.__name__
        return lazy_half


class _AfterWaits:
    """`respond`, once any "you are waiting" sentence has gone out: the answer comes after it."""

    def __init__(self, respond: Respond, work: Waiting) -> None:
        self._respond = respond
        self._work = work

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self._work.settle()
        return self._respond(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._respond, name)


def on_click(what: str | Callable[[V], str], decode: Callable[[dict[str, Any]], V | None], *,
             tell: Tell = tell_ephemeral) -> Callable[[Callable[[Event[V]], None]], Listener[V]]:
    def wrap(handler: Callable[[Event[V]], None]) -> Listener[V]:
        return Listener(handler, what, decode, tell)

    return wrap


def on_command(what: str | Callable[[V], str], decode: Callable[[dict[str, Any]], V | None]) -> Callable[[Callable[[Event[V]], None]], Listener[V]]:
    return on_click(what, decode, tell=tell_command)
