"""The Slack layer: parse what Slack sends, call a workflow, render blocks."""
