from __future__ import annotations

from .registry import subcommand, usage_text

subcommand("help", "help", "this summary", acknowledge=lambda args: usage_text())(None)
