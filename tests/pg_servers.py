"""PostgreSQL servers a test starts and stops itself (so the shared server of the other tests
is never touched): a private primary, and a streaming replica of it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)


def as_postgres(*command: str) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=60)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateServer:
    def __init__(self, root: Path, name: str = "pgdata") -> None:
        self.data = root / name
        self.port = _free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def ctl(self, *args: str) -> None:
        assert BIN is not None
        options = f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1"
        log = str(self.data.parent / f"{self.data.name}.log")  # the server outlives pg_ctl
        as_postgres(
            str(BIN / "pg_ctl"), "-D", str(self.data), "-l", log, "-o", options, "-w", *args
        )


@contextmanager
def private_root() -> Iterator[Path]:
    if BIN is None or shutil.which("runuser") is None:
        pytest.skip("no PostgreSQL binaries to start a private server with")
    # Not under pytest's tmp_path: its folders are private to root, and the server runs as
    # the postgres user.
    root = Path(tempfile.mkdtemp(prefix="relasi-pg-"))
    shutil.chown(root, "postgres")
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def running(server: PrivateServer) -> Iterator[PrivateServer]:
    server.ctl("start")
    try:
        yield server
    finally:
        if (server.data / "postmaster.pid").exists():  # a test may have stopped it already
            server.ctl("stop", "-m", "immediate")


def primary_in(root: Path) -> PrivateServer:
    """A new cluster; initdb's trust rules let 127.0.0.1 stream replication from it too."""
    assert BIN is not None
    server = PrivateServer(root)
    as_postgres(str(BIN / "initdb"), "-D", str(server.data), "-A", "trust", "-U", "postgres")
    return server


def replica_of(primary: PrivateServer, root: Path) -> PrivateServer:
    """A hot standby of `primary` (which must be running), as a managed read replica is."""
    assert BIN is not None
    replica = PrivateServer(root, "replica")
    as_postgres(
        str(BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
        "-U", "postgres", "-D", str(replica.data), "-R", "-X", "stream",
    )  # fmt: skip
    return replica
