"""The README as a newcomer follows it: its commands run as written from a fresh clone, and
`make dev PORT=...` serves (and advertises) the port it was given."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _shell_lines(text: str) -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_every_parley_command_in_the_readme_runs_as_written() -> None:
    lines = _shell_lines(README)
    # `parley` is not on a newcomer's PATH: the README says where it is.
    assert not [line for line in lines if line.startswith("parley ")]
    commands = [line.split("#")[0] for line in lines if line.startswith(".venv/bin/parley ")]
    assert len(commands) >= 10
    for command in commands:
        words = [w for w in shlex.split(command) if not w.startswith(("[", "-"))]
        # The subcommand (and a format for import) exists: `--help` on it answers 0.
        argv = words[:3] if words[1] == "import" and not words[2].isupper() else words[:2]
        done = subprocess.run([*argv, "--help"], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, (command, done.stderr)


def test_the_readme_describes_the_look_not_a_seed() -> None:
    assert "seed" not in README.lower()
    for doc in ("widget.md",):
        assert "the seed" not in (ROOT / "docs" / doc).read_text(encoding="utf-8")


def test_make_dev_advertises_the_port_it_serves(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    plan = subprocess.run(
        ["make", "-n", "--no-print-directory", "dev", f"PORT={port}"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    lines = plan.stdout.replace("\\\n", " ").splitlines()
    serve = next(line for line in lines if "parley serve" in line)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env["PARLEY_STORE"] = f"sqlite:///{tmp_path / 'parley.db'}"
    proc = subprocess.Popen(
        ["sh", "-c", "exec env " + serve + " --no-access-log"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as resp:
                    landing = resp.read().decode()
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        # The embed snippet `/` shows is the one that works against this server.
        assert f"http://127.0.0.1:{port}/embed.js" in landing
        assert "127.0.0.1:8000" not in landing or port == 8000
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_docs_say_what_the_widget_does() -> None:
    widget = (ROOT / "docs" / "widget.md").read_text(encoding="utf-8")
    assert "longer than 50" not in widget and "past the first 10" in widget
    moderation = (ROOT / "docs" / "moderation.md").read_text(encoding="utf-8")
    assert "draft" not in moderation.lower() and "for the lead" not in moderation
    # What `make dev` writes beside its database stays out of commits, the admin token too.
    for made in ("parley.db", "parley.db.key", "parley.db.admin-token"):
        ignored = subprocess.run(["git", "check-ignore", "-q", made], cwd=ROOT)
        assert ignored.returncode == 0, made
