"""The long-lived objects the bot's layers share, built once by the composition
root (`bot/runtime.py`). This module only names them: it builds nothing and
imports nothing above the workflows."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

from slack_sdk import WebClient

from bot.config import Settings
from bot.readiness import StartupChecks
from bot.greenhouse.harvest import Harvest
from bot.identity import Identity
from bot.store import Store
from bot.workflows.autoclose import AutoClose
from bot.workflows.home import Home
from bot.workflows.job_view import JobViews
from bot.workflows.reference import ReferenceLists
from bot.workflows.reminders import Reminders
from bot.workflows.request_board import RequestBoard
from bot.workflows.requests import Requests
from bot.workflows.watches import Watches


@dataclass
class Services:
    settings: Settings
    store: Store
    harvest: Harvest
    identity: Identity
    job_views: JobViews
    slack: WebClient
    reference: ReferenceLists
    requests: Requests
    request_messages: RequestBoard
    watches: Watches
    home: Home  # what each person's App Home tab lists
    reminders: Reminders
    autoclose: AutoClose  # one service for the web hook, the poller and the Approve click
    # Runs the web hook's Harvest re-read and Slack posts after Greenhouse has its answer.
    webhook_executor: Executor
    # The start-up checks of the Harvest credential and the Slack token (GET /readyz).
    readiness: StartupChecks | None = None
