"""The `parley` command: serve, worker, dead-letters, init-table, repair, reindex, admin-token,
webhook-secret, import, export, widget."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from backend.settings import ConfigError, Settings

if TYPE_CHECKING:
    from backend.store.dynamo import DynamoStore


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from backend.app import create_app
    from backend.store import open_store

    settings = Settings.from_env()
    store = open_store(settings)
    store.setup()
    if args.demo:
        from backend.demo import local_admin, seed_demo

        seed_demo(settings, store)
        settings, token = local_admin(settings)
        base = f"http://{args.host}:{args.port}"
        print(f"\n  Parley:  {base}/\n  Demo:    {base}/demo/", flush=True)
        if token:
            print(f"  Admin:   {base}/admin#site=demo&token={token}\n", flush=True)
    # The notification worker runs inside the server's lifespan (backend/notify/runner.py).
    app = create_app(settings, store, run_worker=not args.no_worker)
    # Parley reads X-Forwarded-For itself, and only as far as PARLEY_TRUSTED_PROXIES allows.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        proxy_headers=False,
        server_header=False,
        access_log=not args.no_access_log,
        log_level=args.log_level,
    )
    return 0


def _worker(args: argparse.Namespace) -> int:
    """Deliver the outbox without serving: for `parley serve --no-worker` behind another
    process, or a one-shot drain (`--once`)."""
    import logging
    import time

    from backend.notify.worker import build_worker
    from backend.store import open_store

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    settings = Settings.from_env()
    store = open_store(settings)
    store.setup()
    worker = build_worker(settings, store)
    while True:
        worker.tick()
        if args.once:
            return 0
        time.sleep(args.poll)


def _dead_letters(args: argparse.Namespace) -> int:
    """Print the outbox's dead letters: events the worker gave up on, and why."""
    from backend.store import open_store

    store = open_store(Settings.from_env())
    for event in store.dead_events(args.limit):
        print(f"{event.id}\t{event.kind}\t{event.site}\t{event.uri}\t"
              f"{event.attempts} attempts\t{event.error}")  # fmt: skip
    return 0


def _webhook_secret(args: argparse.Namespace) -> int:
    from backend.domain.tokens import Signer
    from backend.notify.webhook import secret_for, standard_secret

    settings = Settings.from_env()
    site = settings.sites.get(args.site)
    if site is None:
        print(f"webhook-secret: no site named {args.site!r} in PARLEY_SITES", file=sys.stderr)
        return 2
    print(standard_secret(secret_for(Signer(settings.secret_keys), args.site, site)))
    return 0


def _init_table(args: argparse.Namespace) -> int:
    """Create the DynamoDB table of PARLEY_STORE; needs nothing else (no keys, no sites)."""
    import logging

    from botocore.config import Config

    from backend.domain.errors import StoreUnavailable
    from backend.settings import StoreURL
    from backend.store.dynamo import DynamoStore

    # What went wrong is said below in one line; the store's own log lines would repeat it.
    logging.getLogger("parley").addHandler(logging.NullHandler())
    raw = os.environ.get("PARLEY_STORE", "")
    if not raw.startswith("dynamodb:"):
        print(
            "parley init-table: set PARLEY_STORE=dynamodb://TABLE?region=REGION"
            "[&endpoint=URL] (the table to create)",
            file=sys.stderr,
        )
        return 2
    url = StoreURL.parse(raw)
    where = url.endpoint or f"AWS region {url.region}"
    # Not a reader's request: wait for a slow answer rather than retry one that may have landed.
    store = DynamoStore.from_url(url, config=Config(read_timeout=30))
    try:
        done = store.init_table()
    except StoreUnavailable as exc:
        reason = " ".join(str(exc.__cause__ or exc).split())
        hint = next((h for code, h in _INIT_HINTS.items() if code in reason), "")
        print(f"parley init-table: table {url.table} at {where}: {reason}{hint}", file=sys.stderr)
        return 1
    finally:
        store.close()
    warnings = [line for line in done if line.startswith("warning:")]
    steps = ", ".join(line for line in done if line not in warnings)
    print(f"table {url.table} at {where} is ready ({steps})")
    for line in warnings:
        print(f"parley init-table: {line}", file=sys.stderr)
    return 0


def _dynamo(command: str, nothing: str) -> DynamoStore | None:
    """PARLEY_STORE's DynamoDB store for a DynamoDB-only command, or None (said why) on SQLite."""
    from backend.settings import StoreURL
    from backend.store.dynamo import DynamoStore

    raw = os.environ.get("PARLEY_STORE", "")
    if not raw.startswith("dynamodb:"):
        print(f"parley {command}: {nothing}")
        return None
    return DynamoStore.from_url(StoreURL.parse(raw))


def _reindex(args: argparse.Namespace) -> int:
    """Write the owner's search index for a DynamoDB site whose comments predate it."""
    store = _dynamo("reindex", "SQLite searches its comments directly; nothing to index")
    if store is None:
        return 0
    try:
        threads, comments = store.reindex_site(args.site)
    finally:
        store.close()
    print(f"site {args.site!r}: {comments} comments of {threads} threads indexed for search")
    return 0


def _repair(args: argparse.Namespace) -> int:
    """Find the markers cut-short counter moves left (backend/store/dynamo/counters.py) and
    recount those threads exactly. Safe to run any time, as often as wanted."""
    store = _dynamo("repair", "SQLite moves every count in one transaction; nothing to repair")
    if store is None:
        return 0
    try:
        done = store.repair_site(args.site, scan=args.scan)
    finally:
        store.close()
    print(f"site {args.site!r}: {len(done.repaired)} threads recounted, {len(done.busy)} busy")
    for uri in done.busy:
        print(f"  busy (writes in flight, run again later): {uri}")
    if done.more:
        print("  more marked threads wait: run it again")
    return 0


# What to fix, for the failures a new user meets first.
_INIT_HINTS = {
    "UnrecognizedClientException": (
        " (DynamoDB Local takes only letters and digits in AWS_ACCESS_KEY_ID: fix or unset it)"
    ),
    "Could not connect": " (is DynamoDB running there? check the endpoint in PARLEY_STORE)",
    "Unable to locate credentials": " (set AWS credentials: AWS_PROFILE or AWS_ACCESS_KEY_ID)",
    "AccessDenied": " (the AWS credentials in use may not create tables)",
}


def _admin_token(args: argparse.Namespace) -> int:
    import secrets

    from backend.domain.moderation import token_hash

    token = secrets.token_urlsafe(32)
    print(f"token: {token}")
    print(f'hash:  "{token_hash(token)}"')
    print(
        f"Keep the token secret (it is shown once); add the hash to admin_token_hashes of site "
        f"{args.site!r} in PARLEY_SITES. Remove the hash to revoke the token.",
        file=sys.stderr,
    )
    return 0


def _import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from backend.migrate.command import run_import

    return run_import(
        Settings.from_env(),
        args.format,
        Path(args.file),
        args.site,
        dry_run=args.dry_run,
        include_pings=args.include_pings,
        maps=args.map,
        field_specs=args.field,
    )


def _export(args: argparse.Namespace) -> int:
    from backend.migrate.command import run_export

    return run_export(Settings.from_env(), args.site, args.output)


def _widget(args: argparse.Namespace) -> int:
    from pathlib import Path

    from backend.selfhost import NotBuilt, script_tag, write_widget

    try:
        copied = write_widget(Path(args.out))
    except NotBuilt as exc:
        print(f"parley widget: {exc}", file=sys.stderr)
        return 1
    for path in copied.files:
        print(f"wrote {path}")
    api = (args.api or os.environ.get("PARLEY_PUBLIC_URL") or "https://YOUR-API").rstrip("/")
    src = "/" + args.path.strip("/") + "/embed.js" if args.path.strip("/") else "/embed.js"
    print(
        f"\nPut on each page:\n  {script_tag(src, api, args.site)}\n"
        f"Cache on the host: {copied.loader.name} briefly (e.g. max-age=300); "
        f"widget/thread.*.js for a year (immutable). Run this again after upgrading Parley."
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parley", description="Comments for static sites.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the API, the widget and the demo page")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--no-access-log", action="store_true")
    serve.add_argument(
        "--demo", action="store_true", help="seed the demo page's thread when it is empty"
    )
    serve.add_argument(
        "--no-worker", action="store_true", help="do not deliver mail and webhooks here"
    )
    serve.set_defaults(run=_serve)

    worker = commands.add_parser("worker", help="deliver notifications (mail, webhooks)")
    worker.add_argument("--once", action="store_true", help="one round, then exit")
    worker.add_argument("--poll", type=float, default=5.0, help="seconds between rounds")
    worker.add_argument("--log-level", default="info")
    worker.set_defaults(run=_worker)

    dead = commands.add_parser(
        "dead-letters", help="list notifications the worker gave up on, and why"
    )
    dead.add_argument("--limit", type=int, default=100)
    dead.set_defaults(run=_dead_letters)

    secret = commands.add_parser("webhook-secret", help="print a site's webhook signing secret")
    secret.add_argument("site")
    secret.set_defaults(run=_webhook_secret)

    init = commands.add_parser("init-table", help="create the DynamoDB table of PARLEY_STORE")
    init.set_defaults(run=_init_table)

    repair = commands.add_parser(
        "repair", help="make a DynamoDB site's counters exact after cut-short writes"
    )
    repair.add_argument("--site", required=True)
    repair.add_argument(
        "--scan",
        action="store_true",
        help="find markers with a Scan of the whole table (any age, also ones set before the "
        "marks index existed) instead of a Query of the index (stale markers only)",
    )
    repair.set_defaults(run=_repair)

    reindex = commands.add_parser(
        "reindex", help="index a DynamoDB site's comments for the owner's search (an upgrade)"
    )
    reindex.add_argument("--site", required=True)
    reindex.set_defaults(run=_reindex)

    token = commands.add_parser("admin-token", help="make an admin token for a site")
    token.add_argument("site")
    token.set_defaults(run=_admin_token)

    formats = (
        "wordpress",
        "disqus",
        "blogger",
        "isso",
        "remark42",
        "commento",
        "staticman",
        "cusdis",
        "parley",
    )
    imports = commands.add_parser(
        "import", help="import comments from another system's export (see docs/migrate.md)"
    )
    imports.add_argument("format", choices=formats)
    imports.add_argument(
        "file", help="the export file (gzip is fine); for staticman, its comments folder"
    )
    imports.add_argument("--site", required=True, help="the Parley site to import into")
    imports.add_argument("--dry-run", action="store_true", help="read and check, write nothing")
    imports.add_argument(
        "--include-pings", action="store_true", help="keep trackbacks and pingbacks"
    )
    imports.add_argument(
        "--map", action="append", default=[], metavar="OLD=NEW",
        help="rewrite uris starting with OLD to start with NEW (repeatable)",
    )  # fmt: skip
    imports.add_argument(
        "--field", action="append", default=[], metavar="NAME=SOURCE",
        help="staticman: read NAME (name, email, url, message, date, parent, id, page) from "
        "the data files' key SOURCE; cusdis: project=ID-OR-TITLE (repeatable)",
    )  # fmt: skip
    imports.set_defaults(run=_import)

    exports = commands.add_parser("export", help="write a site's comments as JSON Lines")
    exports.add_argument("--site", required=True)
    exports.add_argument("-o", "--output", help="the file to write (default: standard output)")
    exports.set_defaults(run=_export)

    widget = commands.add_parser(
        "widget", help="write the widget's files for the blog's own host (docs/widget.md)"
    )
    widget.add_argument("--out", required=True, help="a folder the blog's host serves")
    widget.add_argument("--path", default="/parley/", help="that folder's URL path on the blog")
    widget.add_argument("--api", help="the API's base URL (default: PARLEY_PUBLIC_URL)")
    widget.add_argument("--site", default="SITE", help="the site name, for the printed tag")
    widget.set_defaults(run=_widget)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result: int = args.run(args)
    except ConfigError as exc:
        print(f"parley: configuration error: {exc}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    sys.exit(main())
