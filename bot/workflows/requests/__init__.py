"""Approval requests: close a job, reject an application — written to Greenhouse
only after an allowed approver's click, exactly once.

State machine (every transition is a compare-and-set in the store, and an audit entry):

    draft ──submit──▶ posting ──posted──▶ requested ──claim──▶ executing ──▶ done
      │                 │                   │                    │
      └──▶ discarded ◀──┘ (cancel, post     ├──▶ denied          └──▶ failed ──Retry (claim)──▶ executing
           failed, TTL)                     └──▶ expired ◀──TTL──────────┤
                                                                         └──deny──▶ denied
    done (a rejection) ──Undo, within BOT_UNDO_MINUTES──▶ undoing ──▶ undone
                                                            └──refused──▶ done

The claim (requested|failed → executing) is the single point where a write can
start; of any number of clicks, retries and processes, one wins it. While
executing, each write is recorded before and after it is sent, so a crash
leaves enough to reconcile by reading Greenhouse, never by writing blindly.

A claim carries a generation (the fencing token). A live execution keeps its
lease with a heartbeat however long Greenhouse makes it wait; whoever takes a
request over (housekeeping after a crash, then Retry) bumps the generation, and
every write is preceded, on the wire, by a compare-and-set that its generation
is still the stored one — so a stale executor can never write
(docs/decisions/0001-atomic-claim.md).
"""

from __future__ import annotations

from .decisions import Decisions
from .drafts import ALREADY_POSTED, Drafts
from .execute import greenhouse_words
from .lease import LEASE_S
from .model import APPLICATION_ID_RE, FINAL_STATES, OPEN_STATES, Kind, LostClaim, NotOpen, Page, Request
from .moves import Moves
from .reject_rest import RestTally, rest_key, rest_tally
from .undo import UNDO_STATES, Undos, WindowClosed

__all__ = [
    "ALREADY_POSTED", "APPLICATION_ID_RE", "FINAL_STATES", "LEASE_S", "OPEN_STATES", "Kind", "LostClaim", "NotOpen", "Page",
    "Request",
    "Requests", "RestTally", "UNDO_STATES", "WindowClosed", "greenhouse_words", "rest_key", "rest_tally",
]


class Requests(Drafts, Decisions, Moves, Undos):
    """The requests workflow as the rest of the bot uses it. Its parts, one module each:
    `drafts` (the requester), `decisions` (approvers: the claim, Deny, listings),
    `execute` (the writes), `reject_rest` (a close's "also reject the rest"), `recovery` (TTL and dead
    executions), `moves` (stage moves: drafting, the requester's own confirm, their write and
    recovery), `undo` (taking a rejection back); `Moves` and `Undos` extend `Recovery`; all change state
    through `transitions.RequestRecords._transition`; `lease` holds the claim's lease
    and heartbeat; `model` the record."""
