"""A 1,200-candidate job stays within Slack's limits, pages with More, and costs
nothing per candidate: the first view of a big job never seen before spends one page
of applications to learn that it is big, then walks the job (bot/workflows/candidate_names.py)."""

from __future__ import annotations

import json
import math

from tests.conftest import HM, JOB_ID

N = 1200


def fill(gh, n=N):
    stages = ["Application Review", "Phone Screen", "Onsite", "Offer"]
    for i in range(n):
        cid = 10_000 + i
        gh.add_candidate(cid, f"Candidate Number{i:04d}", [gh.application(100_000 + i, JOB_ID, stage=stages[i % 4])])


def check_limits(blocks):
    assert len(blocks) <= 50
    for b in blocks:
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= 3000
        if b["type"] == "header":
            assert len(b["text"]["text"]) <= 150


def test_big_job_pages_through_every_candidate_within_limits(bot, slack, gh):
    fill(gh)
    bot.command(f"job {JOB_ID}", user=HM)
    reads = len(gh.reads())
    total = N + 3
    # identity + job + its stages (pipeline order) + one applications page + the job's candidate
    # pages; nothing per candidate
    assert reads <= 4 + math.ceil(total / 500)
    seen = set()
    page = slack.responses()[-1]
    pages = 0
    while True:
        pages += 1
        check_limits(page["blocks"])
        text = json.dumps(page["blocks"])
        seen.update(int(x) for x in __import__("re").findall(r"application `(\d+)`", text))
        more = [el for b in page["blocks"] if b["type"] == "actions" for el in b["elements"] if el["action_id"] == "job_view_more"]
        if not more:
            break
        bot.click("job_view_more", more[0]["value"], HM, channel="CASK")
        page = slack.responses()[-1]
        assert pages < 40
    assert len(seen) == total  # every candidate shown once across the pages: nothing silently cut
    assert len(gh.reads()) == reads  # paging used the view already read
    first = slack.responses()[0]["blocks"]
    on_first = len([b for b in first if b.get("accessory", {}).get("type") == "overflow"])  # one section per candidate
    assert on_first >= 30 and f"Showing 1–{on_first} of 1203" in json.dumps(first, ensure_ascii=False)
