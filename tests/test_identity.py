"""Slack user ⇄ Greenhouse user: automatic by email, admin fixes, disabled users."""

from __future__ import annotations

import json

from tests.conftest import ADMIN, HM, HM_ID, OUTSIDER, STRANGER


def last_reply(slack) -> str:
    return json.dumps(slack.responses()[-1])


def test_first_use_maps_by_email_and_stores_how(bot, slack, gh):
    bot.command("whoami", user=HM)
    assert "Hannah Manager" in last_reply(slack) and f"`{HM_ID}`" in last_reply(slack)
    assert slack.calls_to("users.info")[0]["user"] == HM
    # found in the user directory (one list read, bot/user_directory.py), not by a look-up per person
    assert [c.params for c in gh.reads("/users")] == [{"per_page": "500"}]
    stored = bot.services.store.get("mappings", HM)
    assert stored["greenhouse_user_id"] == HM_ID and stored["how"] == "email" and stored["email"] == "hannah@acme.test"
    assert stored["mapped_at"]
    bot.command("whoami", user=HM)  # second use: from the store, no new lookups
    assert len(slack.calls_to("users.info")) == 1 and len(gh.reads("/users")) == 1


def test_secondary_email_matches(bot, slack, gh):
    gh.users[HM_ID]["emails"].append("hannah.m@personal.test")
    slack.users[HM]["email"] = "hannah.m@personal.test"
    bot.command("whoami", user=HM)
    assert "Hannah Manager" in last_reply(slack)


def test_unmapped_user_told_what_to_ask(bot, slack, gh):
    bot.command("whoami", user=STRANGER)
    text = last_reply(slack)
    assert "No Greenhouse user has the email nobody@elsewhere.test" in text and "<@UADMIN>" in text
    assert bot.services.store.get("mappings", STRANGER) is None


def test_admin_links_and_unlinks(bot, slack, gh):
    bot.command(f"link <@{STRANGER}|stranger> 104", user=ADMIN)
    assert "Linked <@USTRANGER> to Greenhouse user *Olly Outsider*" in last_reply(slack)
    assert bot.services.store.get("mappings", STRANGER)["how"] == f"admin:{ADMIN}"
    bot.command("whoami", user=STRANGER)
    assert "Olly Outsider" in last_reply(slack) and "by admin <@UADMIN>" in last_reply(slack)
    bot.command(f"link <@{STRANGER}> hannah@acme.test", user=ADMIN)
    assert bot.services.store.get("mappings", STRANGER)["greenhouse_user_id"] == HM_ID
    bot.command(f"unlink <@{STRANGER}>", user=ADMIN)
    assert bot.services.store.get("mappings", STRANGER) is None


def test_non_admin_cannot_link(bot, slack, gh):
    bot.command(f"link <@{OUTSIDER}> {HM_ID}", user=HM)
    assert "Only bot admins can link" in last_reply(slack)
    assert bot.services.store.get("mappings", OUTSIDER) is None
    bot.command(f"unlink <@{HM}>", user=OUTSIDER)
    assert "Only bot admins can unlink" in last_reply(slack)


def test_link_input_errors(bot, slack, gh):
    resp = bot.command("link someone 12", user=ADMIN)
    assert "Usage" in resp.get_data(as_text=True)
    bot.command(f"link <@{STRANGER}> 99999", user=ADMIN)
    assert "No Greenhouse user matches `99999`" in last_reply(slack)
    bot.command(f"link <@{STRANGER}> not-an-email", user=ADMIN)
    assert "user ID (a number) or an email" in last_reply(slack)


def test_disabled_user_can_do_nothing(tmp_path, slack, gh):
    from tests.conftest import Bot

    gh.users[HM_ID]["disabled"] = True
    bot = Bot.build(tmp_path, slack, gh)
    bot.command("job 6404", user=HM)
    assert "is disabled" in last_reply(slack)
    assert gh.reads("/candidates") == []


def test_user_disabled_later_is_noticed_after_ttl(tmp_path, slack, gh):
    from tests.conftest import Bot

    bot = Bot.build(tmp_path, slack, gh, bot_identity_ttl_s=0)
    bot.command("whoami", user=HM)
    gh.users[HM_ID]["disabled"] = True
    bot.command("job 6404", user=HM)
    assert "is disabled" in last_reply(slack)
    assert "Ada Lovelace" not in json.dumps(slack.responses())


def test_reverse_lookup_by_greenhouse_emails(bot, slack, gh):
    assert bot.services.identity.slack_user_for(102) == "URC"
    assert slack.calls_to("users.lookupByEmail")[0]["email"] == "rita@acme.test"
    assert bot.services.identity.slack_user_for(102) == "URC"  # cached
    assert len(slack.calls_to("users.lookupByEmail")) == 1
