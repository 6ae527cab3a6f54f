"""Spam: what stops bots and learns each site's spam, imported on a reader's first write.

- `proof`: proof of work in ALTCHA's format, made and verified here, each proof spent once;
- `tokens`, `model`: the per-site filter, a naive Bayes model taught by the owner's decisions;
- `outside`: the optional outside checks (Akismet, Turnstile, hCaptcha), off by default;
- `guard`: the hooks the comment and moderation services call.
"""
