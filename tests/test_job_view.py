from __future__ import annotations

import json

from tests.conftest import ADMIN, HM, JOB_ID, OUTSIDER, STRANGER


def ack_text(resp) -> str:
    raw = resp.get_data(as_text=True)
    try:
        return json.loads(raw)["text"]
    except ValueError:
        return raw


def test_job_view_acks_at_once_then_shows_openings_and_candidates(bot, slack, gh):
    resp = bot.command(f"job {JOB_ID}", user=HM)
    assert resp.status_code == 200
    assert ack_text(resp) == f"Looking up job {JOB_ID}…"
    [reply] = slack.responses()
    assert reply["response_type"] == "ephemeral"
    text = json.dumps(reply["blocks"])
    assert "Archaeologist (6404)" in text
    for name in ("Ada Lovelace", "Grace Hopper", "Alan Turing"):
        assert name in text
    assert "Rejected Person" not in text
    assert "`11`" in text and "`21`" in text and "`31`" in text  # application IDs, needed to reject
    assert "`32`" not in text  # Alan's application on another job
    assert "2 open, 1 closed" in text and "On Hold" in text
    # Onsite group holds two, Phone Screen one
    assert "*Onsite*" in text and "*Phone Screen*" in text


def test_job_view_costs_the_job_its_active_applications_and_unknown_names(bot, gh):
    bot.command(f"job {JOB_ID}", user=HM)
    paths = [c.path for c in gh.reads()]
    assert paths.count(f"/jobs/{JOB_ID}") == 1
    assert paths.count("/applications") == 1 and paths.count("/candidates") == 1
    assert not any(p.startswith("/candidates/") or p.startswith("/applications/") for p in paths)
    [apps] = gh.reads("/applications")
    assert apps.params == {"job_id": str(JOB_ID), "status": "active", "per_page": "500"}
    [names] = gh.reads("/candidates")
    assert sorted(names.params["candidate_ids"].split(",")) == ["1", "2", "3"]  # the active ones, in one batch
    assert apps.headers["authorization"].startswith("Basic ")


def test_requisition_id_lookup_when_number_is_no_job(bot, slack, gh):
    gh.jobs[JOB_ID]["requisition_id"] = "777"
    bot.command("job 777", user=HM)
    assert [c.path for c in gh.reads("/jobs")][:2] == ["/jobs/777", "/jobs"]
    assert gh.reads("/jobs")[1].params["requisition_id"] == "777"
    assert "Archaeologist" in bot.replies_text()


def test_alphanumeric_requisition_id(bot, gh):
    bot.command("job abc123", user=HM)
    assert gh.reads("/jobs")[0].params["requisition_id"] == "abc123"
    assert "Ada Lovelace" in bot.replies_text()


def test_outsider_sees_no_candidates_and_no_candidate_reads(bot, slack, gh):
    bot.command(f"job {JOB_ID}", user=OUTSIDER)
    text = bot.replies_text()
    assert "Archaeologist" in text
    assert "Ada Lovelace" not in text and "`11`" not in text
    assert "hiring team" in text
    assert gh.reads("/candidates") == []


def test_confidential_job_hidden_from_outsider(bot, gh):
    gh.jobs[JOB_ID]["confidential"] = True
    bot.command(f"job {JOB_ID}", user=OUTSIDER)
    text = bot.replies_text()
    assert "Archaeologist" not in text
    # The same words as for a job that does not exist: no existence oracle.
    bot.slack.reset()
    bot.command("job 999999", user=OUTSIDER)
    assert bot.replies_text() == text.replace(str(JOB_ID), "999999")


def test_admin_sees_candidates_without_being_on_team(bot, gh):
    bot.command(f"job {JOB_ID}", user=ADMIN)
    assert "Grace Hopper" in bot.replies_text()


def test_unmapped_user_is_told_what_to_ask_for(bot, slack, gh):
    bot.command(f"job {JOB_ID}", user=STRANGER)
    text = bot.replies_text()
    assert "No Greenhouse user has the email nobody@elsewhere.test" in text
    assert "/greenhouse link" in text and "UADMIN" in text
    assert gh.reads("/jobs") == [] and gh.reads("/candidates") == []


def test_unknown_job(bot, gh):
    bot.command("job 99999", user=HM)
    assert "can't find a job with ID or requisition ID `99999`" in bot.replies_text()


def test_bad_input_gets_one_sentence_and_no_harvest_call(bot, slack, gh):
    for text in ("job", "job <!channel>", "job 1 2", "job ../../etc"):
        resp = bot.command(text, user=HM)
        assert resp.status_code == 200
        assert ack_text(resp) and "Looking up" not in ack_text(resp)
    assert gh.calls == []
    assert slack.responses() == []


def test_help_and_unknown_subcommand(bot, gh):
    assert "/greenhouse job" in ack_text(bot.command("help"))
    assert "/greenhouse job" in ack_text(bot.command(""))
    unknown = ack_text(bot.command("frobnicate now"))
    assert "I don't know `frobnicate`" in unknown and "/greenhouse whoami" in unknown
    assert gh.calls == []


def test_names_are_escaped(bot, gh):
    gh.add_candidate(9, "<!channel> <@U999>", [gh.application(91, JOB_ID)])
    gh.users[101]["name"] = "Hannah <!here>"
    gh.jobs[JOB_ID]["hiring_team"]["hiring_managers"][0]["name"] = "Hannah <!here>"
    bot.command(f"job {JOB_ID}", user=HM)
    text = bot.replies_text()
    assert "<!channel>" not in text and "<!here>" not in text and "<@U999>" not in text
    assert "&lt;!channel&gt;" in text


def test_forged_signature_rejected_before_any_work(bot, gh, slack):
    resp = bot.command(f"job {JOB_ID}", secret="wrong-secret")
    assert resp.status_code == 401
    stale = bot.command(f"job {JOB_ID}", timestamp=1_000_000_000)
    assert stale.status_code == 401
    assert gh.calls == [] and slack.responses() == []


def test_a_second_command_within_the_view_cache_reads_nothing_new(bot, slack, gh):
    bot.command(f"job {JOB_ID}", user=HM)
    reads = len(gh.reads("/jobs")) + len(gh.reads("/candidates"))
    bot.command(f"job {JOB_ID}", user=ADMIN)
    assert len(gh.reads("/jobs")) + len(gh.reads("/candidates")) == reads
    assert "Ada Lovelace" in json.dumps(slack.responses()[-1])
    bot.command(f"job {JOB_ID}", user=OUTSIDER)  # the cached team still decides: no candidates
    assert "Ada Lovelace" not in json.dumps(slack.responses()[-1])


def test_view_cache_off_reads_every_time(tmp_path, slack, gh):
    from tests.conftest import Bot

    bot = Bot.build(tmp_path, slack, gh, bot_view_cache_s=0)
    bot.command(f"job {JOB_ID}", user=HM)
    bot.command(f"job {JOB_ID}", user=HM)
    assert len([c for c in gh.calls if c.path == f"/jobs/{JOB_ID}"]) == 2 and len(gh.reads("/applications")) == 2
    assert len(gh.reads("/candidates")) == 1  # the names were read once, then came from the store
    assert len(gh.reads(f"/jobs/{JOB_ID}/stages")) == 1  # the pipeline order is cached like the reference lists
