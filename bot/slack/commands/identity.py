"""`/greenhouse whoami`, `link @user <id|email>`, `unlink @user`"""

from __future__ import annotations

from bot.slack.blocks.common import esc
from bot.workflows.errors import UserFacingError

from ..commands.parse import mentioned_user
from .registry import CommandContext, subcommand


def _ack_whoami(args: str) -> str:
    return "Checking your Greenhouse mapping…"


@subcommand("whoami", "whoami", "your Greenhouse user, as the bot maps you", _ack_whoami)
def whoami(ctx: CommandContext) -> None:
    m = ctx.caller.mapped()
    how = "automatically, by your Slack email" if m.how == "email" else f"by admin <@{m.how.partition(':')[2]}>"
    admin = " You are a bot admin." if ctx.caller.is_admin else ""
    ctx.reply(
        f"You are Greenhouse user *{esc(m.name)}* (ID `{m.greenhouse_user_id}`"
        + (f", {esc(m.email)}" if m.email else "")
        + f"), mapped {how} on {m.mapped_at[:10]}.{admin}"
    )


def _link_args(args: str) -> tuple[str, str]:
    words = args.split()
    if len(words) != 2 or not mentioned_user(words[0]):
        raise UserFacingError("Usage: `/greenhouse link @user <Greenhouse user ID | email>`.")
    return mentioned_user(words[0]) or "", words[1]


def _ack_link(args: str) -> str:
    target, ref = _link_args(args)
    return f"Linking <@{target}>…"


@subcommand("link", "link @user <greenhouse user id | email>", "admins: map a Slack user by hand", _ack_link)
def link(ctx: CommandContext) -> None:
    target, ref = _link_args(ctx.args)
    m = ctx.services.identity.link(ctx.user_id, target, ref)
    ctx.reply(f"Linked <@{target}> to Greenhouse user *{esc(m.name)}* (ID `{m.greenhouse_user_id}`).")


def _unlink_target(args: str) -> str:
    words = args.split()
    if len(words) != 1 or not mentioned_user(words[0]):
        raise UserFacingError("Usage: `/greenhouse unlink @user`.")
    return mentioned_user(words[0]) or ""


def _ack_unlink(args: str) -> str:
    return f"Unlinking <@{_unlink_target(args)}>…"


@subcommand("unlink", "unlink @user", "admins: remove a user's mapping", _ack_unlink)
def unlink(ctx: CommandContext) -> None:
    target = _unlink_target(ctx.args)
    existed = ctx.services.identity.unlink(ctx.user_id, target)
    ctx.reply(f"Removed the mapping of <@{target}>." if existed else f"<@{target}> had no mapping.")
