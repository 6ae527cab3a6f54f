"""The public HTTP shapes, as pydantic models: they validate input, serialize output and
generate openapi.json, so the three never drift apart. The page view is the exception, kept off
pydantic for cold start: its queries are checked in `backend.api.query` and its answers built in
`backend.api.views`, with these models' rules (tests/test_api_views.py holds them together).

Stored records live in `backend.domain.models`; the public comment here never carries an email,
an IP hash or the Markdown source.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
)

from backend.api import query
from backend.api.views import comment_view, thread_view
from backend.domain import text as text_rules
from backend.domain.models import Comment, Thread

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")


def _line(value: str) -> str:
    """One line of reader text: see `backend.domain.text` for what is refused and why."""
    return text_rules.clean(value)


def _name(value: str) -> str:
    return text_rules.clean(value, required=True)


def _body(value: str) -> str:
    return text_rules.clean(value, multiline=True, required=True)


def _email(value: str) -> str:
    value = text_rules.clean(value)
    if value and not _EMAIL.match(value):
        raise ValueError("must be a valid email address")
    return value


def _website(value: str | None) -> str | None:
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise ValueError("must be an http:// or https:// address")
    return text_rules.clean(value)


def _blank_to_none(value: object) -> object:
    return None if value == "" else value


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


# The page view's two queries are checked by hand (backend/api/query.py); these models document
# them in OpenAPI and check every other request, with the same rules.
Site = Annotated[
    str,
    StringConstraints(min_length=1, max_length=query.SITE_CHARS, pattern=query.SITE_PATTERN),
]
Uri = Annotated[
    str,
    StringConstraints(min_length=1, max_length=query.URI_CHARS),
    AfterValidator(query.page_uri),
]
CommentId = Annotated[str, StringConstraints(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]
Author = Annotated[
    str,
    BeforeValidator(_strip),
    StringConstraints(min_length=1, max_length=80),
    AfterValidator(_name),
]
Email = Annotated[
    str, BeforeValidator(_strip), StringConstraints(max_length=254), AfterValidator(_email)
]
Website = Annotated[
    Annotated[str, StringConstraints(max_length=200)] | None,
    BeforeValidator(_blank_to_none),
    BeforeValidator(_strip),
    AfterValidator(_website),
]
Text = Annotated[
    str,
    BeforeValidator(_strip),
    StringConstraints(min_length=1, max_length=10_000),
    AfterValidator(_body),
]
Title = Annotated[
    str, BeforeValidator(_strip), StringConstraints(max_length=200), AfterValidator(_line)
]
Key = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


# -- request bodies and query parameters ----------------------------------------------------------


class PostIn(_In):
    site: Site
    uri: Uri
    title: Title = ""
    parent: Annotated[CommentId | None, BeforeValidator(_blank_to_none)] = None
    author: Author
    email: Email = ""
    website: Website = None
    text: Text
    key: Key
    hp: Annotated[str, Field(max_length=200)] = ""
    notify: StrictBool = False  # email me replies to this comment (after a confirmation mail)
    # The ALTCHA payload (base64) solving a challenge from GET /api/v1/challenge: required
    # unless the site's `proof` is `off`.
    proof: Annotated[str, Field(max_length=4096)] = ""
    # A Turnstile or hCaptcha token the page obtained, on a site whose `captcha` asks for one.
    captcha: Annotated[str, Field(max_length=4096)] = ""


class EditIn(_In):
    site: Site
    uri: Uri
    text: Text


class ThreadRef(_In):
    site: Site
    uri: Uri


Sort = query.Sort


class ReadParams(_In):
    site: Site
    uri: Uri
    limit: Annotated[int, Field(ge=1, le=query.MAX_LIMIT)] = 50
    after: Annotated[str | None, Field(max_length=query.CURSOR_CHARS)] = None
    sort: Sort = Field("oldest", description="oldest, newest or top (most liked); `number` "
                       "stays the chronological position")  # fmt: skip
    built: Annotated[str | None, Field(
        max_length=64, description="The ETag of the thread built into the page (the"
        " fragment's `data-etag`): a 204 without a body while the first page is that one"
    )] = None  # fmt: skip


class HtmlParams(_In):
    site: Site
    uri: Uri
    sort: Sort = "oldest"
    after: Annotated[str | None, Field(max_length=query.CURSOR_CHARS)] = None  # a page's `next`
    # The page's announcement post on Mastodon or Bluesky, named at build time: a suggestion
    # the worker checks (backend/inbound/suggest.py), never a binding by itself.
    announce: Annotated[
        str | None,
        Field(
            max_length=2048,
            description="The page's announcement post (https://HOST/@user/ID or "
            "https://bsky.app/profile/NAME/post/ID): the worker binds the thread to it only if "
            "the post links to this page on one of the site's origins (docs/inbound.md)",
        ),
    ] = None


class CountsParams(_In):
    site: Site
    uri: Annotated[list[Uri], Field(min_length=1, max_length=query.MAX_URIS)]


class FeedParams(_In):
    site: Site
    uri: Uri | None = None


# -- responses ---------------------------------------------------------------------------------


class OriginOut(BaseModel):
    kind: Literal["webmention", "mastodon", "bluesky"]
    url: str = Field(description="The original: the mentioning page, the status, the post")
    handle: str = Field(description="@user@instance or @name.bsky.social; empty for a page")


class CommentOut(BaseModel):
    id: str
    parent: str | None
    parent_author: str | None = Field(
        None,
        description="In a thread's read, under any sort: the author of the comment this one "
        "answers (empty for a deleted one); null otherwise",
    )
    parent_number: int | None = Field(
        None, description="In a thread's read: the number of the comment this one answers"
    )
    number: int | None = Field(
        description="Position among the thread's visible comments, oldest first; computed "
        "when reading, so null in the answer to a post or an edit"
    )
    author: str
    website: str | None
    avatar: str = Field(description="A short keyed hash to draw an identicon from")
    html: str = Field(description="Sanitized HTML rendered from the Markdown text")
    created: datetime
    edited: datetime | None
    likes: int
    replies: int = Field(description="Direct approved replies")
    status: Literal["approved", "pending"]
    deleted: bool
    origin: OriginOut | None = Field(
        description="Where a comment written elsewhere came from (Webmention, Mastodon, "
        "Bluesky); null for one posted through the form"
    )
    author_role: Literal["owner"] | None = Field(
        None, description='"owner" when the site\'s owner wrote it (through the admin token)'
    )

    @classmethod
    def of(cls, comment: Comment, number: int | None = None) -> CommentOut:
        return cls.model_validate(comment_view(comment, number))


class ReactionsOut(BaseModel):
    likes: int
    reposts: int


class ThreadOut(BaseModel):
    uri: str
    title: str
    count: int
    locked: bool
    reactions: ReactionsOut | None = Field(
        description="Likes and reposts of the thread's announcement posts on Mastodon and "
        "Bluesky and of the page by Webmention; null when there are none"
    )
    pinned: str | None = Field(None, description="The id of the comment pinned first, or null")
    suggest_after: int | None = Field(
        None,
        description="Until when (epoch seconds) the thread takes no announcement post suggested "
        "by its page (POST /api/v1/announce): one was checked lately, or one is bound; null: "
        "it takes one now",
    )

    @classmethod
    def of(cls, uri: str, thread: Thread | None) -> ThreadOut:
        return cls.model_validate(thread_view(uri, thread))


class ThreadPageOut(BaseModel):
    thread: ThreadOut
    comments: list[CommentOut]
    next: str | None = Field(description="Cursor for the next page, or null")
    pinned: CommentOut | None = Field(
        None,
        description="On a first page: the pinned comment, to show first (it may also be in "
        "`comments`, or live on a later page), or null",
    )


class PostOut(BaseModel):
    comment: CommentOut
    token: str = Field(description="Bearer token to edit or delete this comment")
    editable_until: datetime


class CommentEnvelope(BaseModel):
    comment: CommentOut


class LikesOut(BaseModel):
    likes: int


class CountsOut(BaseModel):
    counts: dict[str, int]


class ChallengeOut(BaseModel):
    """ALTCHA's challenge (protocol v2) exactly as the `altcha` library's `to_dict()` spells
    it: `parameters` (algorithm, cost, keyLength, keyPrefix, keySignature, nonce, salt,
    expiresAt, data) and their `signature`. Solved, it goes back as the post's `proof`."""

    parameters: dict[str, Any]
    signature: str


class HealthOut(BaseModel):
    ok: bool


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: dict[str, str] = {}


class ErrorOut(BaseModel):
    error: ErrorBody


# -- admin (moderation) ----------------------------------------------------------------------------

StatusName = Literal["pending", "approved", "spam", "deleted"]


class QueueParams(_In):
    site: Site
    status: StatusName = "pending"
    after: CommentId | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 50


class SiteParams(_In):
    site: Site


class StatusCountsOut(BaseModel):
    counts: dict[str, int] = Field(
        description="Comments per status (pending, approved, spam, deleted), at most 1000 each"
    )


class LockIn(_In):
    site: Site
    uri: Uri
    locked: StrictBool  # JSON true or false: not "yes", 1 or "false"


class EmailIn(_In):
    site: Site
    email: Annotated[
        str,
        BeforeValidator(_strip),
        StringConstraints(min_length=3, max_length=254),
        AfterValidator(_line),
    ]


class AdminCommentOut(BaseModel):
    """A comment as its site's admin sees it: with the email and the Markdown source.
    `author`, `website`, `text` and `email` are the commenter's words: never render them as
    HTML; `html` is the sanitized rendering."""

    id: str
    uri: str
    parent: str | None
    author: str
    email: str
    website: str | None
    text: str
    html: str
    status: StatusName
    created: datetime
    edited: datetime | None
    likes: int
    replies: int
    page_url: str | None = Field(None, description="The page, on the site's first origin")
    author_role: Literal["owner"] | None = None
    reason: str = Field(
        "",
        description="Why it was held or put in spam when it was posted (the filter's score "
        "and telling words, links, the honeypot, the moderation rule); empty when published",
    )

    @classmethod
    def of(cls, c: Comment, origin: str | None = None) -> AdminCommentOut:
        return cls(
            id=c.id, uri=c.uri, parent=c.parent, author=c.author, email=c.email,
            website=c.website, text=c.text, html=c.html, status=c.status.value,
            created=c.created, edited=c.edited, likes=c.likes, replies=c.replies,
            page_url=None if origin is None else origin + c.uri,
            author_role="owner" if c.role == "owner" else None, reason=c.reason,
        )  # fmt: skip


class QueueOut(BaseModel):
    comments: list[AdminCommentOut]
    next: str | None = Field(description="`after` for the next page, or null")


class AdminCommentEnvelope(BaseModel):
    comment: AdminCommentOut


class ThreadEnvelope(BaseModel):
    thread: ThreadOut


class ExportOut(BaseModel):
    email: str
    comments: list[AdminCommentOut]


class ErasedOut(BaseModel):
    erased: int
