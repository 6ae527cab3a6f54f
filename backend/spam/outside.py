"""Optional checks by outside services, each off by default and each a site setting; each sends
a reader's data to a third party, so docs/moderation.md says what goes where.

- Akismet: `comment-check` on a new comment, through the `akismet` library (imported for a
  site that sets a key only), which builds the request (a form POST with the key, the site,
  the reader's IP and the comment) and reads the answer (`true`, with `discard` for blatant
  spam, or `false`). Spam goes to `spam` with the reason `akismet`. An answer Akismet did not
  give (a bad key, an error, a timeout) is no opinion: the post goes on, and the log says why.
- Cloudflare Turnstile or hCaptcha: the token the owner's page obtained from the service's
  widget, sent as the post's `captcha`, verified on the server (`siteverify`: the secret, the
  token and the reader's IP). A missing or refused token is 422 `captcha`; a service that
  does not answer holds the comment (`pending`) rather than lose the reader's words.

Each is one POST through httpx with a short timeout, to the URL the site's settings name
(the services' own by default; another for a compatible service or a stand-in in tests). The
library always addresses Akismet's own host, so its httpx client carries a transport that sends
each request to the site's `akismet_url` instead, when the site names one.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from backend.domain import errors
from backend.domain.models import Comment
from backend.sites import SiteConfig

if TYPE_CHECKING:
    from akismet import AkismetArguments

log = logging.getLogger("parley")

AKISMET_URL = "https://rest.akismet.com/1.1"  # what the library asks; `akismet_url` moves it
SITEVERIFY = {
    "turnstile": "https://challenges.cloudflare.com/turnstile/v0/siteverify",
    "hcaptcha": "https://api.hcaptcha.com/siteverify",
}
TIMEOUT_S = 4.0
# Akismet asks each client to name itself `Application/version | Plugin/version`: Parley and
# its API's version, then the library's own name (its version and Python's).
AGENT = "Parley/v1"
MAX_TOKEN = 4096


class Outside:
    def __init__(self, http: httpx.Client | None = None) -> None:
        self._http = http
        self._akismet_clients: dict[str, httpx.Client] = {}

    @property
    def http(self) -> httpx.Client:
        if self._http is None:  # built on the first use: most sites never ask
            self._http = httpx.Client(timeout=TIMEOUT_S, follow_redirects=False)
        return self._http

    # -- Akismet ---------------------------------------------------------------------------------

    def akismet(self, site: SiteConfig, comment: Comment, client_ip: str) -> str | None:
        """Akismet's verdict on a new comment: a reason when it says spam, else None."""
        if not site.akismet_key:
            return None
        import akismet  # a site that asks only: neither a page view nor most sites need it

        blog = site.page_origin or ""
        fields: AkismetArguments = {
            "permalink": blog + comment.uri,
            "comment_type": "reply" if comment.parent else "comment",
            "comment_content": comment.text,
            "comment_date_gmt": comment.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "blog_charset": "UTF-8",
        }
        if comment.author:  # an empty field is left out, as before
            fields["comment_author"] = comment.author
        if comment.email:
            fields["comment_author_email"] = comment.email
        if comment.website:
            fields["comment_author_url"] = comment.website
        client = akismet.SyncClient(
            config=akismet.Config(key=site.akismet_key, url=blog),
            http_client=self._akismet_http(site.akismet_url),
        )
        try:
            verdict = client.comment_check(client_ip, **fields)
        except akismet.AkismetError as exc:
            cause = exc.__cause__
            why = " ".join(str(exc).split())  # the library's message, with the debug header
            if cause is not None:
                why += f" ({type(cause).__name__})"
            log.warning("akismet gave no verdict for %s: %s", blog, why[:300])
            return None
        if verdict is akismet.CheckResponse.HAM:
            return None
        blatant = verdict is akismet.CheckResponse.DISCARD
        return "akismet: spam" + (" (blatant)" if blatant else "")

    def _akismet_http(self, url: str | None) -> httpx.Client:
        """The library's httpx client for requests sent to `url` (Akismet's own when None):
        one per address, kept for the process, with Parley's timeout and user agent."""
        key = url or AKISMET_URL
        client = self._akismet_clients.get(key)
        if client is None:
            import akismet

            transport = httpx.HTTPTransport() if url is None else _MovedTransport(url)
            client = httpx.Client(
                transport=transport,
                timeout=TIMEOUT_S,
                follow_redirects=False,
                headers={"User-Agent": f"{AGENT} | {akismet.USER_AGENT}"},
            )
            self._akismet_clients[key] = client
        return client

    # -- Turnstile, hCaptcha ---------------------------------------------------------------------

    def captcha(self, site: SiteConfig, token: str, client_ip: str) -> str | None:
        """Verify the post's captcha token on a site that asks for one. Raises CaptchaRefused
        when the service refuses it; returns a reason to hold the comment when the service
        cannot say; None when it passed (or the site asks for none)."""
        if site.captcha == "off":
            return None
        if not token or len(token) > MAX_TOKEN:
            raise errors.CaptchaRefused(reason="missing")
        form = {"secret": site.captcha_secret or "", "response": token, "remoteip": client_ip}
        url = site.captcha_url or SITEVERIFY[site.captcha]
        try:
            answer = self.http.post(url, data=form)
            data: Any = answer.json() if answer.status_code == 200 else None
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("%s siteverify did not answer: %s", site.captcha, type(exc).__name__)
            return f"{site.captcha}: not verified, the service did not answer"
        if not isinstance(data, dict):
            log.warning("%s siteverify answered %s", site.captcha, answer.status_code)
            return f"{site.captcha}: not verified, the service did not answer"
        if data.get("success") is not True:
            codes = data.get("error-codes") or ["refused"]
            raise errors.CaptchaRefused(reason=str(codes[0])[:60])
        hostname = data.get("hostname")
        hosts = {urlsplit(o).hostname for o in site.origins}
        if isinstance(hostname, str) and hostname and hostname.lower() not in hosts:
            raise errors.CaptchaRefused(reason="solved on another site")
        return None


def akismet_target(url: httpx.URL, base: str | None) -> httpx.URL:
    """Where a request the library addressed to Akismet's 1.1 API goes: `base` (a site's
    `akismet_url`, the 1.1 API of a compatible service) with the same endpoint; unchanged when
    the site names none."""
    if base is None:
        return url
    return httpx.URL(base.rstrip("/") + "/" + url.path.rsplit("/", 1)[-1])


class _MovedTransport(httpx.BaseTransport):
    """Sends each of the library's requests to the site's `akismet_url` (see akismet_target)."""

    def __init__(self, base: str) -> None:
        self._base = base
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = akismet_target(request.url, self._base)
        request.headers["Host"] = request.url.netloc.decode("ascii")
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()
