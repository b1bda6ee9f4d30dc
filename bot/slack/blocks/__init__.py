"""Block Kit builders: pure functions from workflow results to Slack blocks."""
