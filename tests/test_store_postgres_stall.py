"""PostgreSQL: no store call waits forever on another process that stalled. A client
frozen inside a transaction (between its `SELECT … FOR UPDATE` and its COMMIT) would
hold the record's row lock, and every other process's update of that record — a
takeover of a stalled execution included — would wait behind it; the server ends
such a session instead (bot/store/postgres.py)."""

from __future__ import annotations

import threading

import psycopg

from bot.store.postgres import PostgresStore


def test_a_client_stalled_inside_a_transaction_does_not_hold_the_record_for_long(pg_url):  # type: ignore[no-untyped-def]
    stalled_store = PostgresStore(pg_url, idle_in_transaction_s=0.5)
    other = PostgresStore(pg_url)
    stalled_store.put("requests", "r", {"state": "executing", "claim_generation": 1})
    locked, wake = threading.Event(), threading.Event()
    seen: list[BaseException] = []

    def stall(raw):  # type: ignore[no-untyped-def]
        locked.set()
        wake.wait(30)  # frozen while it holds the row lock
        return {**raw, "claim_generation": 99}

    def stalled_update() -> None:
        try:
            stalled_store.update("requests", "r", stall)
        except psycopg.Error as exc:  # the server ended its session (IdleInTransactionSessionTimeout)
            seen.append(exc)

    frozen = threading.Thread(target=stalled_update)
    frozen.start()
    try:
        assert locked.wait(10)
        taken: list[object] = []
        takeover = threading.Thread(target=lambda: taken.append(
            other.update("requests", "r", lambda raw: {**raw, "claim_generation": 2})))
        takeover.start()
        takeover.join(15)  # without the server's timeout this waits until the frozen client wakes
        assert not takeover.is_alive(), "an update waited on a stalled client's row lock"
        assert taken == [{"state": "executing", "claim_generation": 2}]
    finally:
        wake.set()
        frozen.join(15)
    # The frozen client's late write did not land: its session was gone, and it was told so.
    assert other.get("requests", "r")["claim_generation"] == 2
    assert len(seen) == 1
    # Its pool drops the dead connection and goes on working.
    assert stalled_store.update("requests", "r", lambda raw: {**raw, "state": "failed"})["state"] == "failed"
    stalled_store.close()
    other.close()


def test_every_pooled_connection_has_keepalives_and_the_session_timeout(pg_url):  # type: ignore[no-untyped-def]
    store = PostgresStore(pg_url)
    with store.pool.connection() as conn:
        params = {o.keyword.decode(): (o.val or b"").decode() for o in conn.pgconn.info}
        timeout = conn.execute("SHOW idle_in_transaction_session_timeout").fetchone()[0]
        search_path = conn.execute("SHOW search_path").fetchone()[0]
    assert (params["keepalives"], params["keepalives_idle"], params["tcp_user_timeout"], params["connect_timeout"]) \
        == ("1", "30", "60000", "10")
    assert timeout == "1min"
    assert search_path.startswith("t_")  # the URL's own options (the test's schema) still apply
    store.close()
