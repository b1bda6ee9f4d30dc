"""v3's decoration names (bot/greenhouse/decorations.py): kept for their TTL, read again
after it, the directory's user names first, and a whole list read once for every id."""

from __future__ import annotations

from bot.greenhouse.decorations import DecorationNames
from tests.fakes.clock import StepClock


def test_names_are_read_once_per_ttl():
    clock, reads = StepClock(1000.0), []
    names = DecorationNames(ttl_s=300, clock=clock)

    def read(missing: list[int]) -> dict[int, str]:
        reads.append(missing)
        return {i: f"Dept {i}" for i in missing}

    assert names.names("departments", [1, 2], read) == {1: "Dept 1", 2: "Dept 2"}
    clock.now += 299
    assert names.names("departments", [2, 1], read) == {1: "Dept 1", 2: "Dept 2"}
    assert names.names("departments", [1, 3], read) == {1: "Dept 1", 3: "Dept 3"}  # only 3 is read
    assert reads == [[1, 2], [3]]
    clock.now += 2  # 1 and 2 are 301 s old now
    names.names("departments", [1, 2], read)
    assert reads[-1] == [1, 2]


def test_a_whole_list_read_once_names_every_id_in_it():
    reads = []
    names = DecorationNames(clock=StepClock(1000.0))

    def whole_list(_missing: list[int]) -> dict[int, str]:
        reads.append(1)
        return {7: "On Hold", 8: "Backfill"}

    assert names.names("close_reasons", [7], whole_list) == {7: "On Hold"}
    assert names.names("close_reasons", [8], whole_list) == {8: "Backfill"}
    assert reads == [1]


def test_user_names_come_from_the_directory_first():
    reads = []
    names = DecorationNames(clock=StepClock(1000.0))
    names.user_names = lambda ids: {i: "Hannah Manager" for i in ids if i == 101}
    got = names.names("users", [101, 102], lambda missing: reads.append(missing) or {102: "Rita Recruiter"})
    assert got == {101: "Hannah Manager", 102: "Rita Recruiter"} and reads == [[102]]
    # The directory is asked for users only.
    assert names.names("offices", [101], lambda missing: {101: "Office"}) == {101: "Office"}
