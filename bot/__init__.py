"""greenhouse-slack-bot: a Slack chat-ops bot over the Greenhouse Harvest API."""
