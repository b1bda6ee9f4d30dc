"""EXPERIMENT ONLY (`bench/run.py --variant ack-inline`): start the bot exactly as
`python -m bot` does, but with Bolt's `process_before_response=True`, so each
listener's ack function runs on the request (gunicorn) thread instead of in
Bolt's 5-thread listener executor, where it queues behind lazy listeners that
wait on Harvest. The lazy listeners still run after the ack, on that executor.

This does not change the bot; it measures what the one-argument change in
bot/slack/app.py would do, beside the unchanged bot measured by the default run.
"""

from __future__ import annotations

import runpy

import slack_bolt.app.app as bolt_app

_original_init = bolt_app.App.__init__


def _init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("process_before_response", True)
    _original_init(self, *args, **kwargs)


bolt_app.App.__init__ = _init  # type: ignore[method-assign]

if __name__ == "__main__":
    runpy.run_module("bot", run_name="__main__", alter_sys=True)
