"""The spam hooks the services call: proof of work on a post (checked, then spent once), the
filter's verdict on a new comment, and its lessons from the owner's decisions.

Built once per process (`CommentService.spam`) and shared with moderation, so a lesson is
seen at once by the posts this process serves; other processes (Lambda containers) read the
stored model at most once a minute.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from backend.domain import errors
from backend.domain.models import Comment, Status
from backend.settings import Settings, SiteConfig
from backend.spam.model import Model, Score
from backend.spam.proof import Difficulty, Proofs, Verified
from backend.spam.tokens import tokens
from backend.store.base import Store

if TYPE_CHECKING:
    from backend.spam.outside import Outside

log = logging.getLogger("parley")

MODEL = "words"  # the model's name in the store
CACHE_S = 60.0  # a process reads a site's model at most once a minute
WRITE_TRIES = 5


class SpamGuard:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.monotonic = monotonic
        self.proofs = Proofs(settings.secret_keys)
        self._outside: Outside | None = None  # httpx, imported for a site that asks only
        self._models: dict[str, tuple[float, Model, int]] = {}

    # -- proof of work -------------------------------------------------------------------------

    def challenge(self, site_name: str, site: SiteConfig) -> dict[str, Any]:
        return self.proofs.challenge(site_name, Difficulty(site.proof_cost, site.proof_max))

    def check_proof(self, site_name: str, site: SiteConfig, proof: str) -> Verified | None:
        """The post's proof, verified but not spent (a retry of a stored draft is answered
        before it is spent); None on a site that does not ask for one."""
        if site.proof == "off":
            return None
        return self.proofs.verify(site_name, proof)

    def spend_proof(self, site_name: str, proof: Verified | None) -> None:
        """Spend a verified proof; a second use of the same one is refused. The record is
        kept past the challenge's expiry, after which the proof is refused anyway."""
        if proof is None:
            return
        if not self.store.use_once(site_name, proof.spend_key, proof.expires + 60):
            raise errors.ProofRefused(
                "This proof of work was already used; post again.", reason="used"
            )

    # -- the filter ------------------------------------------------------------------------------

    def score(self, site_name: str, text: str, website: str | None) -> Score:
        """The comment's score under the site's model; 0.5 (no opinion) when the model
        cannot be read: a busy store holds no post back for the filter's sake."""
        try:
            model = self._model(site_name)[0]
        except errors.StoreUnavailable:
            log.warning("the spam filter of %s could not read its model", site_name)
            return Score(0.5)
        return model.score(tokens(text, website))

    def judge(
        self,
        site_name: str,
        site: SiteConfig,
        comment: Comment,
        status: Status,
        reason: str,
    ) -> tuple[Status, str]:
        """The status and reason of a new comment, given those the site's rules chose: a
        high score holds it (or sends it to spam) whatever the moderation mode."""
        if status is Status.SPAM:
            return status, reason
        score = self.score(site_name, comment.text, comment.website)
        why = score.describe()
        if score.spam >= site.filter_spam_at and site.filter_spam_at < 1:
            return Status.SPAM, _join(why, reason)
        if score.spam >= site.filter_hold_at and site.filter_hold_at < 1:
            return Status.PENDING, _join(why, reason)
        return status, reason

    def check_outside(
        self,
        site: SiteConfig,
        comment: Comment,
        status: Status,
        reason: str,
        client_ip: str,
        captcha: str,
    ) -> tuple[Status, str]:
        """The site's outside checks on a new post: its captcha first (a refused one is 422
        and nothing goes to Akismet), then Akismet (spam goes to spam)."""
        if not site.akismet_key and site.captcha == "off":
            return status, reason
        if self._outside is None:
            from backend.spam.outside import Outside

            self._outside = Outside()
        unsure = self._outside.captcha(site, captcha, client_ip)
        if unsure and status is not Status.SPAM:
            status, reason = Status.PENDING, _join(unsure, reason)
        if status is not Status.SPAM:
            why = self._outside.akismet(site, comment, client_ip)
            if why:
                return Status.SPAM, _join(why, reason)
        return status, reason

    def learn(self, site_name: str, comment: Comment, *, spam: bool) -> None:
        """Teach the site's model one owner's decision."""
        self.learn_many(site_name, [(comment, spam)])

    def learn_many(self, site_name: str, lessons: Iterable[tuple[Comment, bool]]) -> int:
        """Teach many decisions in one stored write (an import); returns how many."""
        batch = [(tokens(c.text, c.website), spam) for c, spam in lessons if c.text]
        if not batch:
            return 0
        for attempt in range(WRITE_TRIES):
            model, version = self._model(site_name, fresh=attempt > 0)
            taught = Model(model.spam, model.ham, {k: list(v) for k, v in model.counts.items()})
            for found, spam in batch:
                taught.learn(found, spam)
            if self.store.write_model(site_name, MODEL, taught.dump(), version):
                self._models[site_name] = (self.monotonic(), taught, version + 1)
                return len(batch)
            time.sleep(0.02 * (attempt + 1))  # another lesson landed first: read it, retry
        raise errors.StoreUnavailable("The spam filter is busy; try again.")

    def _model(self, site_name: str, *, fresh: bool = False) -> tuple[Model, int]:
        now = self.monotonic()
        cached = self._models.get(site_name)
        if cached is not None and not fresh and now - cached[0] < CACHE_S:
            return cached[1], cached[2]
        stored = self.store.read_model(site_name, MODEL)
        model, version = (Model(), 0) if stored is None else (Model.load(stored[0]), stored[1])
        self._models[site_name] = (now, model, version)
        return model, version


def _join(*reasons: str) -> str:
    return "; ".join(r for r in reasons if r)
