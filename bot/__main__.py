"""`python -m bot`: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on $PORT.
`python -m bot store …`: check, migrate or copy the store (bot/store/cli.py).
`python -m bot demo`: the bot against a demo Slack and Greenhouse, in the browser (bot/demo/)."""

from __future__ import annotations

import sys

from bot.runtime import settings_or_exit, start, wsgi


def main() -> None:
    if sys.argv[1:2] == ["store"]:
        from bot.store.cli import main as store_main

        raise SystemExit(store_main(sys.argv[2:]))
    if sys.argv[1:2] == ["demo"]:
        from bot.demo.run import main as demo

        raise SystemExit(demo(sys.argv[2:]))
    settings = settings_or_exit()
    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        app = start(mode="socket").app
        SocketModeHandler(app, settings.slack_app_token.get_secret_value()).start()  # type: ignore[union-attr]
        return
    serve_http(settings.port)


def serve_http(port: int) -> None:
    """The same production server as the Procfile (gunicorn), one worker with threads:
    Bolt's after-ack work runs on threads inside the worker that acked."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in {
                "bind": f"0.0.0.0:{port}",
                "workers": 1,
                "threads": 16,
                "timeout": 0,
                "graceful_timeout": 30,
                "accesslog": None,
            }.items():
                self.cfg.set(key, value)

        def load(self):  # type: ignore[no-untyped-def]
            return wsgi()

    Server().run()


if __name__ == "__main__":
    main()
