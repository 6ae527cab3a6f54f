"""`parley import` and `parley export`: the steps, the messages, the exit codes.

An import checks the whole file before writing anything (a damaged file writes nothing), then
reads it again to write, then recounts the file's threads. The summary is the last line printed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from backend.domain import errors
from backend.domain.models import Comment, Status
from backend.domain.tokens import Signer
from backend.migrate import FIELDS, FOLDERS, reader
from backend.migrate.fields import UriMap, parse_fields
from backend.migrate.limits import DEFAULT, Limits
from backend.migrate.pipeline import Importer
from backend.migrate.progress import phase
from backend.migrate.records import NothingImported, Record, SourceError, WrongFormat
from backend.migrate.report import Summary, report
from backend.settings import Settings
from backend.store.base import Store

TAUGHT = (Status.SPAM, Status.APPROVED)  # the decisions an import carries


def open_store(settings: Settings) -> Store:
    from backend.store import open_store as open_configured

    store = open_configured(settings)
    if settings.store.scheme == "sqlite":  # a DynamoDB table is made by init-table or deploy
        store.setup()
    return store


def run_import(
    settings: Settings,
    fmt: str,
    path: Path,
    site: str,
    *,
    dry_run: bool = False,
    include_pings: bool = False,
    maps: list[str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    store: Store | None = None,
    limits: Limits = DEFAULT,
    field_specs: list[str] | None = None,
) -> int:
    """Import `path` into `site`; `store` (else the configured one) is left open."""
    out = out or sys.stdout
    err = err or sys.stderr
    if site not in settings.sites:
        print(f"parley import: no site named {site!r} is configured (PARLEY_SITES)", file=err)
        return 2
    try:
        uri_map = UriMap.parse(maps or [])
    except ValueError as exc:
        print(f"parley import: {exc}", file=err)
        return 2
    names: dict[str, str] = {}
    if field_specs:
        if fmt not in FIELDS:
            print(f"parley import: --field is for {' and '.join(FIELDS)} only", file=err)
            return 2
        try:
            names = parse_fields(field_specs, FIELDS[fmt])
        except ValueError as exc:
            print(f"parley import: {exc}", file=err)
            return 2
    if not (path.is_file() or (fmt in FOLDERS and path.is_dir())):
        print(f"parley import: {path}: no such file", file=err)
        return 2
    signer = Signer(settings.secret_keys)
    source = reader(fmt, path, limits, names)

    def importer(store: Store | None) -> Importer:
        return Importer(fmt, site, store, signer, uri_map=uri_map, include_pings=include_pings)

    try:
        checked = source.check()  # the whole file, before anything is written
        if checked.comments == 0:
            print(f"{path.name}: {checked.empty or 'no comments'}: nothing to import", file=out)
            return 0
        if dry_run:
            check = importer(None)
            with phase("reading", checked.comments, err) as tick:
                check.progress = tick
                summary = check.run(source.records())
        else:
            summary = _write(settings, store, importer, source.records, checked.comments, err)
    except WrongFormat as exc:
        from backend.migrate.sniff import advice

        print(f"parley import: {path.name}: {exc}; nothing was imported. {advice(path, fmt)}",
              file=err)  # fmt: skip
        return 1
    except NothingImported as exc:
        print(f"parley import: {path.name}: {exc}; nothing was imported", file=err)
        return 1
    except SourceError as exc:
        print(f"parley import: {path.name}: {exc}", file=err)
        return 1
    except errors.StoreUnavailable as exc:
        print(
            f"parley import: the store failed ({exc}). What was written is kept; run the same "
            "import again to complete it (nothing is added twice).",
            file=err,
        )
        return 1
    report(summary, checked.repairs, out)
    return 0


def _write(
    settings: Settings,
    given: Store | None,
    importer: Callable[[Store | None], Importer],
    records: Callable[[], Iterator[Record]],
    total: int | None,
    err: TextIO,
) -> Summary:
    store = given or open_store(settings)
    try:
        writer = importer(store)
        with phase("importing", total, err) as tick:
            writer.progress = tick
            summary: Summary = writer.run(records())
        with phase("counting", summary.threads, err) as tick:
            writer.recount(tick)
        if summary.new_comments:  # a file imported again adds nothing and teaches nothing
            with phase("learning", total, err) as tick:
                _teach(settings, store, importer, records, summary, tick)
        return summary
    finally:
        if given is None:
            store.close()


def _teach(
    settings: Settings,
    store: Store,
    importer: Callable[[Store | None], Importer],
    records: Callable[[], Iterator[Record]],
    summary: Summary,
    tick: Callable[[int], None],
) -> None:
    """The owner's past decisions teach the site's spam filter (backend/spam/): each spam and
    each approved comment of the file, read once more after the import is complete and stored,
    one stored write of the model per batch of comments."""
    from backend.spam.guard import SpamGuard

    guard = SpamGuard(settings, store)
    teacher = importer(None)
    teacher.progress = tick

    def learn(batch: list[Comment]) -> None:
        lessons = [(c, c.status is Status.SPAM) for c in batch if c.status in TAUGHT]
        learned = guard.learn_many(summary.site, lessons)
        spam = sum(1 for c, is_spam in lessons if is_spam and c.text)
        summary.lessons["spam"] += spam
        summary.lessons["legitimate"] += learned - spam

    teacher.on_batch = learn
    teacher.run(records())


def run_export(
    settings: Settings,
    site: str,
    output: str | None,
    *,
    err: TextIO | None = None,
    store: Store | None = None,
) -> int:
    err = err or sys.stderr
    from backend.migrate.export import export

    if site not in settings.sites:
        print(f"parley export: no site named {site!r} is configured (PARLEY_SITES)", file=err)
        return 2
    given = store
    store = given or open_store(settings)
    now = datetime.now(UTC)
    try:
        if output is None or output == "-":
            threads, comments = export(store, site, sys.stdout, now)
        else:
            partial = Path(output + ".partial")
            with partial.open("w", encoding="utf-8") as stream:
                threads, comments = export(store, site, stream, now)
            partial.replace(output)  # a failed export never leaves a file that looks whole
    except errors.StoreUnavailable as exc:
        print(f"parley export: the store failed ({exc}); nothing was written", file=err)
        return 1
    finally:
        if given is None:
            store.close()
    print(f"exported site {site!r}: {threads:,} threads, {comments:,} comments", file=err)
    return 0
