"""Notifications: the mails (letters.py), webhooks
(webhook.py), how they are sent (transport.py), readers' subscriptions (subscriptions.py) and
the worker that delivers (worker.py), run by `parley serve` (runner.py) or by its own Lambda
function (lambda_worker.py).

Nothing here runs inside a reader's request: a request only writes events, in the same storage
write as the change they describe. The events' kinds, and which writes produce which events,
are rules: they live in backend/domain/outbox.py, which this package reads (never the reverse).
"""
