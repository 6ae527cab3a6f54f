"""The SQLite store's schema: its migrations, applied in order by `setup` (PRAGMA user_version
records how far a file is)."""

from __future__ import annotations

# The notification side (outbox.py): the outbox, sent markers, subscriptions and opt-outs.
OUTBOX = """
    CREATE TABLE outbox (
        id TEXT NOT NULL PRIMARY KEY, kind TEXT NOT NULL, site TEXT NOT NULL,
        uri TEXT NOT NULL, comment_id TEXT NOT NULL, due REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL DEFAULT '{}',
        error TEXT NOT NULL DEFAULT ''
    ) WITHOUT ROWID;
    CREATE INDEX outbox_by_due ON outbox (due, id);
    CREATE TABLE sent (key TEXT NOT NULL PRIMARY KEY, expires INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE subscriptions (
        site TEXT NOT NULL, uri TEXT NOT NULL, comment_id TEXT NOT NULL, email TEXT NOT NULL,
        created INTEGER NOT NULL,
        PRIMARY KEY (site, uri, comment_id)
    ) WITHOUT ROWID;
    CREATE TABLE opt_outs (
        site TEXT NOT NULL, email_hash TEXT NOT NULL, created INTEGER NOT NULL,
        PRIMARY KEY (site, email_hash)
    ) WITHOUT ROWID;
"""

# Each entry moves the schema one version up; PRAGMA user_version records how far we are.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE threads (
        site TEXT NOT NULL, uri TEXT NOT NULL, title TEXT NOT NULL DEFAULT '',
        count INTEGER NOT NULL DEFAULT 0, locked INTEGER NOT NULL DEFAULT 0,
        created INTEGER NOT NULL, stamp INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (site, uri)
    ) WITHOUT ROWID;
    CREATE TABLE comments (
        site TEXT NOT NULL, uri TEXT NOT NULL, id TEXT NOT NULL, parent TEXT,
        author TEXT NOT NULL, email TEXT NOT NULL, website TEXT,
        text TEXT NOT NULL, html TEXT NOT NULL, status TEXT NOT NULL,
        created INTEGER NOT NULL, edited INTEGER,
        likes INTEGER NOT NULL DEFAULT 0, replies INTEGER NOT NULL DEFAULT 0,
        ip_hash TEXT NOT NULL DEFAULT '', avatar TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (site, uri, id)
    ) WITHOUT ROWID;
    CREATE INDEX comments_by_status ON comments (site, status, id);
    CREATE INDEX comments_by_email ON comments (site, email, status);
    CREATE TABLE likes (
        site TEXT NOT NULL, uri TEXT NOT NULL, comment_id TEXT NOT NULL, voter TEXT NOT NULL,
        PRIMARY KEY (site, uri, comment_id, voter)
    ) WITHOUT ROWID;
    CREATE TABLE idempotency (
        site TEXT NOT NULL, key TEXT NOT NULL, comment_id TEXT NOT NULL,
        expires INTEGER NOT NULL,
        PRIMARY KEY (site, key)
    ) WITHOUT ROWID;
    CREATE TABLE rate_buckets (
        site TEXT NOT NULL, client TEXT NOT NULL, window INTEGER NOT NULL,
        hits INTEGER NOT NULL, expires INTEGER NOT NULL,
        PRIMARY KEY (site, client, window)
    ) WITHOUT ROWID;
    """,
    OUTBOX,
    """
    CREATE TABLE used_once (
        site TEXT NOT NULL, key TEXT NOT NULL, expires INTEGER NOT NULL,
        PRIMARY KEY (site, key)
    ) WITHOUT ROWID;
    """,
    # Comments brought in from the open web (backend/inbound/): JSON {kind, url, handle}.
    "ALTER TABLE comments ADD COLUMN origin TEXT NOT NULL DEFAULT '';"
    # Likes and reposts of a thread's announcement posts: JSON {source: [likes, reposts]}.
    "ALTER TABLE threads ADD COLUMN reactions TEXT NOT NULL DEFAULT '';",
    # The owner's desk: the owner's own comments, a pinned comment per thread, blocks.
    """
    ALTER TABLE comments ADD COLUMN role TEXT NOT NULL DEFAULT '';
    ALTER TABLE threads ADD COLUMN pinned TEXT NOT NULL DEFAULT '';
    ALTER TABLE threads ADD COLUMN pinned_number INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE blocks (
        site TEXT NOT NULL, key TEXT NOT NULL, label TEXT NOT NULL, created INTEGER NOT NULL,
        PRIMARY KEY (site, key)
    ) WITHOUT ROWID;
    """,
    # The outbox's dead letters: events that can never be delivered (outbox.py, bury_event).
    """
    CREATE TABLE dead_events (
        id TEXT NOT NULL PRIMARY KEY, kind TEXT NOT NULL, site TEXT NOT NULL,
        uri TEXT NOT NULL, comment_id TEXT NOT NULL, due REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL DEFAULT '{}',
        error TEXT NOT NULL DEFAULT ''
    ) WITHOUT ROWID;
    """,
    # The spam filter's models (models.py), and why a comment was held (`reason`).
    """
    CREATE TABLE filter_models (
        site TEXT NOT NULL, name TEXT NOT NULL, data BLOB NOT NULL, version INTEGER NOT NULL,
        PRIMARY KEY (site, name)
    ) WITHOUT ROWID;
    ALTER TABLE comments ADD COLUMN reason TEXT NOT NULL DEFAULT '';
    """,
    # Of a thread's count, the comments from the open web (a site may leave them out of it).
    """
    ALTER TABLE threads ADD COLUMN inbound INTEGER NOT NULL DEFAULT 0;
    UPDATE threads SET inbound = (
        SELECT COUNT(*) FROM comments AS c WHERE c.site = threads.site AND c.uri = threads.uri
        AND c.status = 'approved' AND c.origin != ''
    );
    """,
    # Until when a thread takes no suggested announcement post (backend/inbound/suggest.py).
    "ALTER TABLE threads ADD COLUMN suggest_after INTEGER NOT NULL DEFAULT 0;",
)
