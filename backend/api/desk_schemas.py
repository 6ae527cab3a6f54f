"""The HTTP shapes of the owner's desk (backend/api/desk.py): replies as the author, pins and
blocks. Every one is an admin request (Authorization: Bearer <the site's admin token>)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints

from backend.api.schemas import (
    AdminCommentOut,
    Author,
    CommentId,
    Key,
    Site,
    Text,
    Uri,
    _blank_to_none,
    _In,
)
from backend.domain.models import Block

BlockKey = Annotated[
    str, StringConstraints(pattern=r"^(network|email):[A-Za-z0-9_-]{8,128}$", max_length=140)
]


class OwnerReplyIn(_In):
    site: Site
    uri: Uri
    parent: Annotated[CommentId | None, BeforeValidator(_blank_to_none)] = None
    author: Author = Field("Author", description="The name shown with the badge")
    text: Text
    key: Key = Field(description="Chosen by the client per draft: a retry is the same reply")


class PinIn(_In):
    site: Site
    uri: Uri
    comment_id: CommentId | None = Field(description="The comment to pin first; null unpins")


class BlockIn(_In):
    site: Site
    uri: Uri
    comment_id: CommentId
    by: Literal["network", "email"]


class BlockKeyParams(_In):
    site: Site
    key: BlockKey


class BlockOut(BaseModel):
    key: str = Field(description="The block's keyed hash: never an address")
    kind: Literal["network", "email"]
    label: str = Field(description="The author and words it was blocked from: plain text")
    created: datetime

    @classmethod
    def of(cls, block: Block) -> BlockOut:
        return cls(key=block.key, kind=block.kind, label=block.label, created=block.created)


class BlockEnvelope(BaseModel):
    block: BlockOut


class BlocksOut(BaseModel):
    blocks: list[BlockOut]


class OwnerReplyOut(BaseModel):
    comment: AdminCommentOut


class SearchIn(_In):
    """A POST, so the words and the address searched for stay out of access logs."""

    site: Site
    text: Annotated[str, StringConstraints(max_length=200)] = Field(
        "", description="Whole words, all of them in the comment's text (case-folded)"
    )
    author: Annotated[str, StringConstraints(max_length=80)] = Field(
        "", description="The author's name, whole (case-folded)"
    )
    email: Annotated[str, StringConstraints(max_length=254)] = Field(
        "", description="The author's email, exact (case-folded): never a part of one"
    )
    uri: Annotated[Uri | None, BeforeValidator(_blank_to_none)] = Field(
        None, description="The page's path, exact"
    )
    status: Literal["pending", "approved", "spam", "deleted"] | None = None
    after: Annotated[str | None, StringConstraints(max_length=512)] = Field(
        None, description="The `next` of the previous page (signed; bound to this search)"
    )
    limit: Annotated[int, Field(ge=1, le=100)] = 20


class SearchOut(BaseModel):
    comments: list[AdminCommentOut] = Field(description="Newest first, with emails")
    next: str | None = Field(
        description="`after` for the next page, or null. A page may hold fewer than `limit` "
        "comments (a request reads at most 100 candidates) and still have a `next`."
    )
