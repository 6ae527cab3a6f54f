"""docs/widget.md's build-time snippets in real Eleventy, Pelican and Jekyll sites (Hugo's are in
tests/test_generators.py): two posts each, built against a real Parley that is up (one post
with a comment, one empty), down (connection refused), silent (it takes the connection and
never answers) and answering with an error. Parley never takes the build down: past 5 seconds,
or on any failure, `#parley` is left empty and the widget reads the thread at run time.

Run by `make generators` (not by `make test`), which installs the generators first and sets
PARLEY_GENERATORS to the folder that holds Eleventy and Pelican."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.servers import free_port
from tests.test_generators import DOC, block, comment

TOOLS = Path(os.environ.get("PARLEY_GENERATORS", ".tools/generators")).resolve()
ELEVENTY = TOOLS / "eleventy" / "node_modules" / ".bin" / "eleventy"
PELICAN = TOOLS / "pelican" / "bin" / "pelican"
SLUGS = ("garden", "quiet")
API = "https://comments.example.com"
# Each build ends well within this however Parley answers (two posts, 5 seconds each at most).
BOUND = 40.0


def usage(generator: str) -> str:
    """The template line docs/widget.md gives for `generator`, e.g. `<div id="parley">…</div>`."""
    found = re.search(generator + r": .*?then\s+`(<div id=\"parley\">.*?</div>)`", DOC, re.S)
    assert found, generator
    return found.group(1)


def page(api: str, line: str) -> str:
    """A post's page around the snippet's `#parley`, with the embed after it."""
    script = f'<script src="{api}/embed.js" data-site="blog" async></script>'
    head = "<!doctype html><html><body><h1>{{ title }}</h1>"
    return f"{head}\n{line}\n{script}\n</body></html>\n"


def eleventy_site(root: Path, api: str, kind: str) -> list[str]:
    """`npm init -y` (a "commonjs" package.json), or "type": "module", and the docs' config."""
    root.mkdir(parents=True)
    subprocess.run(["npm", "init", "-y"], cwd=root, check=True, capture_output=True, timeout=60)
    config = block("js", "Eleventy: a shortcode").replace(API, api)
    if kind == "module":
        package = (root / "package.json").read_text().replace('"commonjs"', '"module"')
        (root / "package.json").write_text(package)
        assert config.startswith("module.exports = function (config) {")
        config = config.replace("module.exports = function", "export default function", 1)
    assert f'"type": "{kind}"' in (root / "package.json").read_text()
    (root / "eleventy.config.js").write_text(config)
    (root / "_includes").mkdir()
    (root / "_includes" / "post.njk").write_text(page(api, usage("Eleventy")))
    for slug in SLUGS:
        post = root / "posts" / f"{slug}.md"
        post.parent.mkdir(exist_ok=True)
        post.write_text(f"---\nlayout: post.njk\ntitle: {slug.title()}\n---\nA post.\n")
    return [str(ELEVENTY), "--quiet", "--output=_site"]


def pelican_site(root: Path, api: str, kind: str) -> list[str]:
    """The docs' filter in pelicanconf.py; the article template overrides the default theme's."""
    (root / "content").mkdir(parents=True)
    for slug in SLUGS:
        (root / "content" / f"{slug}.md").write_text(
            f"Title: {slug.title()}\nDate: 2024-12-01\nSlug: {slug}\n\nA post.\n"
        )
    (root / "overrides").mkdir()
    (root / "overrides" / "article.html").write_text(
        page(api, usage("Pelican")).replace("{{ title }}", "{{ article.title }}")
    )
    settings = (
        'SITENAME = "Field Notes"\nSITEURL = ""\nTIMEZONE = "UTC"\nPATH = "content"\n'
        'ARTICLE_URL = "posts/{slug}/"\nARTICLE_SAVE_AS = "posts/{slug}/index.html"\n'
        'THEME_TEMPLATES_OVERRIDES = ["overrides"]\nFEED_ALL_ATOM = None\n'
        "CATEGORY_FEED_ATOM = None\nAUTHOR_FEED_ATOM = None\nAUTHOR_FEED_RSS = None\n"
    )
    snippet = block("python", "Pelican: a Jinja filter").replace(API, api)
    (root / "pelicanconf.py").write_text(settings + "\n" + snippet)
    return [str(PELICAN), "content", "-s", "pelicanconf.py", "-o", "_site", "-q"]


def jekyll_site(root: Path, api: str, kind: str) -> list[str]:
    """The docs' tag in _plugins/parley.rb and the post layout."""
    for folder in ("_plugins", "_layouts", "_posts"):
        (root / folder).mkdir(parents=True)
    (root / "_config.yml").write_text("title: Field Notes\npermalink: /posts/:title/\n")
    (root / "_plugins" / "parley.rb").write_text(block("ruby", "Jekyll: a tag").replace(API, api))
    (root / "_layouts" / "post.html").write_text(
        page(api, usage("Jekyll")).replace("{{ title }}", "{{ page.title }}")
    )
    for slug in SLUGS:
        (root / "_posts" / f"2024-12-01-{slug}.md").write_text(
            f"---\nlayout: post\ntitle: {slug.title()}\n---\nA post.\n"
        )
    jekyll = shutil.which("jekyll")
    assert jekyll, "Debian's jekyll (apt-get install jekyll; `make generators` does)"
    return [jekyll, "build", "--quiet", "-d", "_site"]


SITES: dict[str, Callable[[Path, str, str], list[str]]] = {
    "eleventy-commonjs": eleventy_site,
    "eleventy-module": eleventy_site,
    "pelican": pelican_site,
    "jekyll": jekyll_site,
}


def build(name: str, root: Path, api: str) -> tuple[dict[str, str], float]:
    """Make the site, build it: each post's `#parley` contents and the build's seconds."""
    command = SITES[name](root, api, name.rpartition("-")[2])
    start = time.monotonic()
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120)
    took = time.monotonic() - start
    assert done.returncode == 0, done.stdout + done.stderr
    out = {}
    for slug in SLUGS:
        html = (root / "_site" / "posts" / slug / "index.html").read_text()
        found = re.search(r'<div id="parley">(.*?)</div>\s*<script', html, re.S)
        assert found, html
        out[slug] = found.group(1).strip()
    return out, took


@pytest.mark.parametrize("name", sorted(SITES))
def test_up_with_a_thread_and_an_empty_one(name: str, parley: str, tmp_path: Path) -> None:
    comment(parley, "/posts/garden/", "Ann")
    built, _ = build(name, tmp_path / "site", parley)
    assert "<h2>1 Comment</h2>" in built["garden"] and "Hello from Ann" in built["garden"]
    assert built["garden"].startswith("<section") and built["garden"].endswith("</section>")
    assert "<h2>No comments yet</h2>" in built["quiet"]


@pytest.mark.parametrize("name", sorted(SITES))
def test_down_the_build_goes_on_with_parley_empty(name: str, tmp_path: Path) -> None:
    built, _ = build(name, tmp_path / "site", f"http://127.0.0.1:{free_port()}")
    assert built == {"garden": "", "quiet": ""}


@pytest.mark.parametrize("name", sorted(SITES))
def test_silent_gives_up_after_5_seconds(name: str, silent: str, tmp_path: Path) -> None:
    built, took = build(name, tmp_path / "site", silent)
    assert built == {"garden": "", "quiet": ""}
    assert 5 <= took < BOUND, f"{took:.1f} s"


@pytest.mark.parametrize("name", sorted(SITES))
def test_an_error_answer_is_left_out(name: str, parley: str, tmp_path: Path) -> None:
    # A 404 (the API under a wrong path): the error page never reaches the post.
    built, _ = build(name, tmp_path / "site", parley + "/nowhere")
    assert built == {"garden": "", "quiet": ""}
