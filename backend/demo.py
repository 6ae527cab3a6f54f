"""The demo thread `make dev` starts with: the comment section of the post that started
Parley (shared/seed-blog-post.txt), so a first look shows numbering, replies and likes."""

from __future__ import annotations

import dataclasses
import os
import secrets
from pathlib import Path

from backend.domain.drafts import Draft
from backend.domain.service import CommentService
from backend.settings import DEMO_SITE, Settings
from backend.store.base import Store

DEMO_URI = "/demo/"
DEMO_TITLE = "Feel-Good News Out of Ukraine"

# (author, index of the parent in this list or None, text)
SEED: tuple[tuple[str, int | None, str], ...] = (
    ("JKB", None, "The fall of Assad in Syria is a heavy blow to Russia. Thousands of Russian "
     "troops and mercenaries are trying to find a way out of the interior.\n\nFurthermore, the "
     "operation in Syria was the logistics line and jump off for Russian operations in Africa."),
    ("DK", None, "Ukraine should be allowed to join NATO.\n\nNATO should ask to join Ukraine."),
    ("Rob1", 0, "Syrian rebels give Russian troops a proper send-off\n\n"
     "https://x.com/UKikaski/status/1869030748394786865"),
    ("Jay L Gischer", 0, "Agreed on all points. I am concerned though, that Russia may be able "
     "to make a deal with, uh, somebody in Syria to maintain their presence there."),
    ("JohnSF", 0, "Indeed, and even heavier to Iran, which has seen the collapse of three main "
     "pillars of its Middle East *front of resistance*."),
    ("Rob1", 3, "I expect Russia to cut a deal. The rebels will need a lot of resource support."),
    ("JohnSF", 5, "They may well try; but they have little concrete to offer, and are widely "
     "loathed in Syria.\n\nBut as a secure base complex: game over."),
)  # fmt: skip


def seed_demo(settings: Settings, store: Store, site: str = "demo") -> int:
    """Post the seed comments once, into an empty demo thread. Returns how many were posted.

    Each post gets a random idempotency key: a fixed one would let anyone who posts the same
    key learn about (and, before keys were bound to their draft, edit) the seeded comments.
    On a site that holds comments for moderation the seed is approved as it goes, since a
    reply needs an approved parent and the demo is meant to show a live thread.
    """
    if site not in settings.sites or store.read_page(site, DEMO_URI, after=None, limit=1).comments:
        return 0
    import secrets

    from backend.domain.models import Status
    from backend.domain.tokens import Signer

    service = CommentService(settings, store, Signer(settings.secret_keys))
    ids: list[str] = []
    for number, (author, parent, text) in enumerate(SEED):
        draft = Draft(
            uri=DEMO_URI,
            title=DEMO_TITLE,
            parent=None if parent is None else ids[parent],
            author=author,
            email=f"{author.lower().replace(' ', '.')}@example.com",
            website=None,
            text=text,
            key=secrets.token_urlsafe(24),
            honeypot="",
        )
        posted, _ = service.post(site, draft, client_ip=f"192.0.2.{number + 1}", trusted=True)
        if posted.comment.status is not Status.APPROVED:
            store.set_status(site, DEMO_URI, posted.comment.id, Status.APPROVED)
        ids.append(posted.comment.id)
    for voter, liked in enumerate((1, 1, 1, 1, 1, 4)):  # the seed's "5" and "1" like counts
        store.add_like(site, DEMO_URI, ids[liked], f"demo-voter-{voter}")
    return len(ids)


def local_admin(settings: Settings) -> tuple[Settings, str | None]:
    """For `make dev`: an admin token for the built-in local `demo` site, kept beside the SQLite
    file (mode 0600) so it survives restarts, and its hash added to the site. Settings from
    PARLEY_SITES (or any other store) are left alone: they configure their own tokens."""
    if settings.store.scheme != "sqlite" or settings.sites.get("demo") != DEMO_SITE:
        return settings, None
    from backend.domain.moderation import token_hash

    path = Path(settings.store.path)
    path = path.with_name(path.name + ".admin-token")
    try:
        token = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        token = secrets.token_urlsafe(24)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(token)
    demo = dataclasses.replace(DEMO_SITE, admin_token_hashes=(token_hash(token),))
    return dataclasses.replace(settings, sites={**settings.sites, "demo": demo}), token
