"""The demo: a fake Greenhouse (and, beside it, a Slack console) the real bot runs against."""
