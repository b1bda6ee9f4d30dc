"""The tests' fake Slack Web API is the demo's: one stand-in, in bot/demo/slack_api.py."""

from bot.demo.slack_api import FakeSlack, Workspace

__all__ = ["FakeSlack", "Workspace"]
