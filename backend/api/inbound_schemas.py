"""Request and response bodies of the open web's endpoints: Webmention, and binding or
suggesting a thread's announcement post (backend/inbound/)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, StringConstraints

from backend.api.schemas import Site, Uri, _In

InboundUrl = Annotated[str, StringConstraints(min_length=1, max_length=2048)]


class WebmentionIn(_In):
    """POST /webmention, form-encoded (W3C Webmention)."""

    source: InboundUrl = Field(description="The page that mentions target")
    target: InboundUrl = Field(description="A page of one of the site's origins")


class WebmentionOut(BaseModel):
    status: Literal["queued"]
    site: str
    uri: str


class AnnounceIn(_In):
    site: Site
    uri: Uri
    url: InboundUrl = Field(description="The announcement post's public URL (Mastodon, Bluesky)")
    api: InboundUrl | None = Field(
        default=None, description="Where to ask for replies, when not the post's own host"
    )
    bound: StrictBool = Field(default=True, description="false unbinds")


class SuggestIn(_In):
    site: Site
    uri: Uri
    url: InboundUrl = Field(description="The page's announcement post (Mastodon, Bluesky)")


class SuggestOut(BaseModel):
    status: Literal["queued", "checked lately"]


class AnnounceOut(BaseModel):
    uri: str
    network: Literal["mastodon", "bluesky"]
    url: str
    bound: bool
