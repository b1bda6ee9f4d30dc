"""A 1,200-candidate job stays within Slack's limits, pages with More, and costs
nothing per candidate: a view reads the job's active applications and names only the
page it shows, one `candidates` request a page at most (bot/workflows/candidate_names.py)."""

from __future__ import annotations

import json
import math

from tests.conftest import HM, JOB_ID

N = 1200
SEED = ("Ada Lovelace", "Grace Hopper", "Alan Turing")  # the seed's active candidates (tests/conftest.py)


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
    # identity + job + its stages (pipeline order) + the active applications + the first
    # page's names; nothing per candidate
    assert reads <= 4 + math.ceil(total / 500)
    assert sum(1 for c in gh.reads() if c.path == "/candidates") == 1
    seen, named = set(), set()
    page = slack.responses()[-1]
    pages = 0
    while True:
        pages += 1
        check_limits(page["blocks"])
        text = json.dumps(page["blocks"])
        seen.update(int(x) for x in __import__("re").findall(r"application `(\d+)`", text))
        named.update(__import__("re").findall(r"Candidate Number\d{4}", text) + [n for n in SEED if n in text])
        assert "candidate 1" not in text
        more = [el for b in page["blocks"] if b["type"] == "actions" for el in b["elements"] if el["action_id"] == "job_view_more"]
        if not more:
            break
        before = len(gh.reads())
        bot.click("job_view_more", more[0]["value"], HM, channel="CASK")
        page = slack.responses()[-1]
        # "More" uses the view already read and names its own page: one request of ≤ 50 ids.
        more_reads = gh.reads()[before:]
        assert [c.path for c in more_reads] == ["/candidates"]
        assert len(more_reads[0].params["candidate_ids"].split(",")) <= 50
        assert pages < 40
    assert len(seen) == total  # every candidate shown once across the pages: nothing silently cut
    assert len(named) == total  # each by name, none as "candidate <id>"
    assert len(gh.reads()) == reads + pages - 1  # paging: one names request a page, nothing else
    first = slack.responses()[0]["blocks"]
    on_first = len([b for b in first if b.get("accessory", {}).get("type") == "overflow"])  # one section per candidate
    assert on_first >= 30 and f"Showing 1–{on_first} of 1203" in json.dumps(first, ensure_ascii=False)
