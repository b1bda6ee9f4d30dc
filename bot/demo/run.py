"""`python -m bot demo`: the real bot, its Slack and its Greenhouse on 127.0.0.1.

One process, one port. The bot is built exactly as in production
(`bot.runtime.start`: the same services, Bolt app, workflows, store code and
Harvest client); only its settings differ: `SLACK_API_URL` and
`GREENHOUSE_API_URL` point at the two stand-ins started here, the secrets are
generated for this run, and the store is a demo file reset at each start.

The port serves the bot's own endpoints (`/slack/events`, `/greenhouse/webhook`,
`/healthz`), which the stand-ins call over HTTP as Slack and Greenhouse would,
and the console (`/`, `/api/…`).
"""

from __future__ import annotations

import argparse
import logging
import secrets
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from bot.config import load_settings

from .console_app import create_console
from . import tenant
from .greenhouse_link import APPROVALS_CHANNEL, DemoGreenhouse, start_greenhouse
from .slack_api import FakeSlack
from .slack_events import SlackSender

DEFAULT_PORT = 3000
DEFAULT_DB = Path("data") / "demo.sqlite"
_BOT_PATHS = ("/slack/", "/greenhouse/")


@dataclass
class Demo:
    url: str
    slack: FakeSlack
    greenhouse: DemoGreenhouse
    running: Any  # bot.runtime.Running: the bot's services, Bolt app, web app, stop event
    server: BaseWSGIServer

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def stop(self) -> None:
        self.server.shutdown()
        self.running.stop.set()
        self.slack.stop()
        self.greenhouse.stop()


class _Dispatch:
    """The bot's endpoints to the bot, everything else to the console."""

    def __init__(self) -> None:
        self.bot: Any = None
        self.console: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        app = self.bot if path.startswith(_BOT_PATHS) or path == "/healthz" else self.console
        return app(environ, start_response)


def reset_store(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    for old in db_path.parent.glob(db_path.name + "*"):
        old.unlink()


def start_demo(*, host: str = "127.0.0.1", port: int = DEFAULT_PORT, db_path: Path = DEFAULT_DB) -> Demo:
    from bot.runtime import start

    dispatch = _Dispatch()
    server = make_server(host, port, dispatch, threaded=True)  # bind first: the URL must be known
    url = f"http://{host}:{server.server_port}/"

    # Secrets for this run only; the stand-ins check them as Slack and Greenhouse would.
    signing_secret, bot_token = secrets.token_hex(16), "xoxb-demo-" + secrets.token_hex(12)
    api_key, webhook_secret = secrets.token_hex(16), secrets.token_hex(16)

    greenhouse = start_greenhouse(api_key=api_key, webhook_url=url + "greenhouse/webhook", webhook_secret=webhook_secret)
    slack = FakeSlack(strict=True)
    slack.expected_token = bot_token
    for p in greenhouse.people:
        slack.users[p.slack_id] = {"email": p.email, "name": p.name, "title": p.title}
    slack.channels.update(greenhouse.channels)
    greenhouse.changed.append(slack.workspace.touch)  # the console's panel follows Greenhouse live

    reset_store(db_path)
    settings = load_settings(
        _env_file=None,
        slack_bot_token=bot_token,
        slack_signing_secret=signing_secret,
        slack_app_token=None,
        slack_api_url=slack.base_url,
        greenhouse_api_key=api_key,
        greenhouse_api_url=greenhouse.base_url,
        greenhouse_client_id=None,
        greenhouse_client_secret=None,
        greenhouse_webhook_secret=webhook_secret,
        bot_db_path=str(db_path),
        database_url=None,  # the demo's store is always its own file (ignored where unknown)
        bot_admins=",".join(tenant.BOT_ADMINS),
        bot_approvals_channel=APPROVALS_CHANNEL,
        bot_poll_interval_s=0,  # Greenhouse's web hooks reach the bot here; no polling needed
        port=server.server_port,
    )
    running = start("http", settings=settings)
    dispatch.bot = running.web
    dispatch.console = create_console(slack, greenhouse, SlackSender(slack, url, signing_secret))
    return Demo(url, slack, greenhouse, running, server)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot demo",
                                     description="Run the bot against a demo Slack and Greenhouse, in the browser.")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="demo store (emptied at each start)")
    args = parser.parse_args(argv)
    # The terminal shows the URL and problems; the console shows everything else.
    logging.disable(logging.INFO)
    try:
        demo = start_demo(host=args.host, port=args.port, db_path=args.db)
    except OSError as exc:
        print(f"Cannot start the demo on {args.host}:{args.port} ({exc.strerror or exc}); "
              f"try `python -m bot demo --port {args.port + 1}`.", file=sys.stderr)
        return 1
    print(f"Demo ready: open {demo.url}", flush=True)
    try:
        demo.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        threading.Thread(target=demo.stop, daemon=True).start()
        time.sleep(0.1)
    return 0
