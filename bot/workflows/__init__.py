"""Workflows: what the bot does, in Greenhouse terms. No Slack, no HTTP here."""
