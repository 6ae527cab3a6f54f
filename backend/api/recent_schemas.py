"""The shapes of a site's recent comments (backend/api/recent.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from backend.api.schemas import Site, _In

MAX_RECENT = 20


class RecentParams(_In):
    site: Site
    limit: Annotated[int, Field(ge=1, le=MAX_RECENT)] = 5


class RecentCommentOut(BaseModel):
    id: str
    uri: str = Field(description="The page the comment is on")
    url: str = Field(description="The comment on its page: the site's first origin + uri")
    author: str
    author_role: Literal["owner"] | None = Field(
        None, description='"owner" when the site\'s owner wrote it'
    )
    excerpt: str = Field(description="Plain text from the comment's HTML, at most 140 characters")
    created: datetime


class RecentOut(BaseModel):
    comments: list[RecentCommentOut] = Field(description="Newest first")
