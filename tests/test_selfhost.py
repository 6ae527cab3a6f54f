"""`parley widget --out DIR`: the built widget copied for the blog's own host, laid out as the
API serves it, with the tag to paste; a clear error when nothing is built."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend import cli, selfhost

STATIC = Path(selfhost.__file__).resolve().parent / "static"


def test_the_copy_is_laid_out_as_the_api_serves_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = json.loads((STATIC / "widget.json").read_text())["bundle"]
    out = tmp_path / "static" / "parley"
    code = cli.main(["widget", "--out", str(out), "--api", "https://c.example/", "--site", "blog"])
    assert code == 0
    assert (out / "embed.js").read_bytes() == (STATIC / "embed.js").read_bytes()
    assert (out / "widget" / bundle).read_bytes() == (STATIC / "widget" / bundle).read_bytes()
    for lang in ("de", "es", "fr", "uk"):
        assert (out / "widget" / f"{lang}.js").is_file()
    # The loader names the bundle it was built with, which sits beside it.
    assert bundle.encode() in (out / "embed.js").read_bytes()
    printed = capsys.readouterr().out
    tag = '<script src="/parley/embed.js" data-api="https://c.example" data-site="blog" async>'
    assert tag in printed and "immutable" in printed


def test_nothing_built_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(selfhost.NotBuilt):
        selfhost.write_widget(tmp_path / "out", static=tmp_path / "empty")
    empty = tmp_path / "half"
    (empty / "widget").mkdir(parents=True)
    (empty / "widget.json").write_text('{"bundle": "thread.0123456789ab.js"}')
    with pytest.raises(selfhost.NotBuilt, match="make widget"):
        selfhost.write_widget(tmp_path / "out", static=empty)
    assert not (tmp_path / "out").exists()
