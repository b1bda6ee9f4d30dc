"""A throwaway PostgreSQL cluster for tests and benchmarks (Debian's `postgresql` package).

`initdb` refuses to run as root, so as root the cluster belongs to the `postgres`
system user (`runuser -u postgres --`) in a temp directory it owns. Durability is
off (`fsync=off`, `--no-sync`): the data is thrown away at the end.
`.ci/run` installs the package when `initdb` is missing.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

INSTALL_HINT = ("PostgreSQL's initdb was not found: `apt-get install -y postgresql` (what .ci/run does), "
                "or point TEST_DATABASE_URL at a server you have")


def find_bin(name: str) -> str | None:
    on_path = shutil.which(name)
    if on_path:
        return on_path
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return found[-1] if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self) -> None:
        initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
        if not initdb or not pg_ctl:
            raise RuntimeError(INSTALL_HINT)
        self.pg_ctl = pg_ctl
        self.as_root = os.geteuid() == 0
        self.dir = Path(tempfile.mkdtemp(prefix="bot-pg-"))
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self.port = _free_port()
        self._run([initdb, "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"])
        self._run([pg_ctl, "-D", str(self.data), "-o",
                   f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
                   "-l", str(self.dir / "server.log"), "-w", "start"])
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, cmd: list[str]) -> None:
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, cwd=self.dir, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr[-2000:]}")

    def stop(self) -> None:
        try:
            self._run([self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def with_schema(url: str, schema: str) -> str:
    """The same server and database, with every table created in `schema`."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-c search_path={schema}')}"


def fresh_schema(url: str) -> tuple[str, str]:
    """(schema name, URL that uses it): isolates one test's tables on a shared server."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return schema, with_schema(url, schema)


def drop_schema(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextlib.contextmanager
def schema_on(url: str | None) -> Iterator[str]:
    """A URL with a fresh schema on the server at `url`, or on a throwaway cluster started
    here and stopped at the end when `url` is None (benchmarks: `--database-url` or not)."""
    cluster = None if url else Cluster()
    try:
        yield fresh_schema(url or cluster.url)[1]  # type: ignore[union-attr]
    finally:
        if cluster is not None:
            cluster.stop()
