"""What the moderation and subscription services work with (the settings, the store, the
signer of tokens and links, a clock) and how each finds the site a request names.
(`CommentService` keeps its own copy: this module is not on the page view's import path.)"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from backend.domain import errors
from backend.domain.tokens import Signer
from backend.settings import Settings, SiteConfig
from backend.store.base import Store


@dataclass
class Context:
    settings: Settings
    store: Store
    signer: Signer
    clock: Callable[[], float] = time.time

    def site(self, name: str) -> SiteConfig:
        """The configured site of that name; UnknownSite (404) when there is none."""
        try:
            return self.settings.sites[name]
        except KeyError:
            raise errors.UnknownSite(f"No site named {name!r} is configured.") from None
