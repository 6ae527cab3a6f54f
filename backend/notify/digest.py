"""The owner's digest: mail that respects attention (the site's `notify_digest`).

`instant` mails the owner once per comment. `capped` (the default) mails the first
INSTANT_PER_WINDOW comments of an hour at once and keeps the rest as outbox items due at the
end of that hour: a burst of 150 comments in a minute is 3 mails, then 1 digest of 147.
`hourly` and `daily` are digests only: every comment, held ones too, is kept until the end of
its hour (or UTC day), so the owner gets at most one mail an hour (or a day). When the items
come due, the worker sends one mail per address listing the held comments first, each with
its one-click links, then the published ones.

A chat preset (`webhook_format` slack, discord or telegram; chat.py) counts the same way in
its own window (one per site: the chat is one channel) and keeps the rest as
EventKind.CHAT_DIGEST items, told at the window's end in one chat message. Parley's own signed
JSON (`parley`) stays one delivery per comment: a program reads it, not a person.

The items are ordinary outbox events (EventKind.OWNER_DIGEST), so they are delivered, retried
and kept as every event is; on AWS the schedule picks them up when they come due (the Stream
leaves events due later alone). A digest takes every due item of its address at once (one
extra bounded read of the outbox, GATHER items), so a long burst is one mail, not one per batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Final

from backend.domain.models import Comment, OutboxEvent, Status
from backend.domain.outbox import EventKind
from backend.notify.letters import Letter, Page, _html, _link
from backend.store.base import Store

INSTANT_PER_WINDOW: Final = 3  # owner mails at once per address and window; more wait
GATHER: Final = 1000  # due items read at once for a digest (more go into a second digest)
EXCERPT: Final = 300  # characters of each comment in a digest
# Each mode's window and how many of a window's comments are told at once; `instant` has none.
WINDOWS: Final = {"capped": (3600, INSTANT_PER_WINDOW), "hourly": (3600, 0), "daily": (86400, 0)}


@dataclass(frozen=True)
class Window:
    name: str  # the rate counter's key: the mode and the address's keyed hash
    number: int  # which hour (or day) since the epoch
    ends: int  # epoch seconds: when its digest is due
    at_once: int  # how many of its comments are told at once (0: every one waits)

    @property
    def expires(self) -> int:
        return self.ends + 3600


def window(mode: str, now: float, address_hash: str) -> Window | None:
    """The window an owner mail counts in, or None when the site mails every comment."""
    if mode not in WINDOWS:
        return None
    length, at_once = WINDOWS[mode]
    number = int(now) // length
    return Window(f"owner-{mode}:{address_hash}", number, (number + 1) * length, at_once)


def item(comment: Comment, to: str, address_hash: str, due: int) -> OutboxEvent:
    """An owner mail kept for the digest. Its id is fixed by the comment and the address, so
    keeping it twice (a retried delivery) is one item."""
    return OutboxEvent(
        id=f"odigest-{comment.id}-{address_hash}",
        kind=EventKind.OWNER_DIGEST.value,
        site=comment.site,
        uri=comment.uri,
        comment_id=comment.id,
        due=due,
        data={"to": to},
    )


def chat_item(comment: Comment, due: int) -> OutboxEvent:
    """A chat message kept for the site's chat digest; one per comment, whatever retried."""
    return OutboxEvent(
        id=f"cdigest-{comment.id}",
        kind=EventKind.CHAT_DIGEST.value,
        site=comment.site,
        uri=comment.uri,
        comment_id=comment.id,
        due=due,
        data={},
    )


CHAT: Final = "chat"  # the chat's window, beside the addresses' keyed hashes


def same_digest(a: OutboxEvent, b: OutboxEvent) -> bool:
    return (a.kind, a.site, a.data.get("to")) == (b.kind, b.site, b.data.get("to"))


def gathered(group: Sequence[OutboxEvent], due: Sequence[OutboxEvent]) -> list[OutboxEvent]:
    """The group, with every other due item of the same digest (by id, once each)."""
    found = {e.id: e for e in group}
    for e in due:
        if same_digest(e, group[0]):
            found.setdefault(e.id, e)
    return sorted(found.values(), key=lambda e: e.id)


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


@dataclass(frozen=True)
class Entry:
    comment: Comment
    page: Page
    links: dict[str, str]  # one-click links of a held comment; empty for a published one


def letter(to: str, site_name: str, held: Sequence[Entry], new: Sequence[Entry]) -> Letter:
    """Held comments first, each with its one-click links, then the published ones."""
    parts = []
    if held:
        parts.append(f"{len(held)} awaiting moderation")
    if new:
        parts.append(f"{len(new)} new")
    subject = f"Comments on {site_name}: " + ", ".join(parts)
    text: list[str] = []
    html: list[str] = []
    for title, entries in (("Awaiting moderation", held), ("New comments", new)):
        if not entries:
            continue
        text += [f"{title} ({len(entries)}):", ""]
        html.append(f'<h2 style="font-size:17px">{escape(title)} ({len(entries)})</h2>')
        for e in entries:
            c, url = e.comment, e.page.permalink(e.comment.id)
            text += [f"{c.author} on {e.page.title} ({url}):", "> " + _excerpt(c.text)]
            text += [f"  {name.title()}: {link}" for name, link in e.links.items()]
            text.append("")
            html.append(
                f"<p><strong>{escape(c.author)}</strong> on {_link(url, e.page.title)}:<br>"
                f"{escape(_excerpt(c.text))}"
            )
            if e.links:
                html.append(
                    "<br>" + " · ".join(_link(link, name.title()) for name, link in e.links.items())
                )
            html.append("</p>")
    if held:
        text.append("Each link opens a page with a button; nothing happens before you press it.")
        html.append(f"<p>{escape(text[-1])}</p>")
    return Letter(to, subject, "\n".join(text), _html(html))


Links = Callable[[Comment, float], dict[str, str]]


def entries(
    store: Store, group: Sequence[OutboxEvent], page_of: Callable[[Comment], Page], links_of: Links
) -> tuple[list[Entry], list[Entry]]:
    """The held and the published comments of these items, as they are now: a comment
    moderated (spam, deleted) or erased since is not news and is left out."""
    held: list[Entry] = []
    new: list[Entry] = []
    pages: dict[str, Page] = {}
    for kept in group:
        comment = store.get_comment(kept.site, kept.uri, kept.comment_id)
        if comment is None or comment.status not in (Status.PENDING, Status.APPROVED):
            continue
        if comment.uri not in pages:
            pages[comment.uri] = page_of(comment)
        if comment.status is Status.PENDING:  # links dated from the item: a retry is the same
            held.append(Entry(comment, pages[comment.uri], links_of(comment, kept.due)))
        else:
            new.append(Entry(comment, pages[comment.uri], {}))
    return held, new


def compose(
    store: Store, group: Sequence[OutboxEvent], page_of: Callable[[Comment], Page], links_of: Links
) -> Letter | None:
    """The digest mail of these items; None when nothing is left to tell."""
    held, new = entries(store, group, page_of, links_of)
    if not held and not new:
        return None
    return letter(group[0].data.get("to", ""), group[0].site, held, new)
