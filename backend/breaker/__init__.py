"""The flood breaker: when the public endpoint's request rate stays past its threshold, or the
last 24 hours' estimated spend passes the owner's monthly budget's pace, a CloudWatch alarm
invokes `backend.breaker.lambda_breaker.handler`, which sets the API function's reserved
concurrency to the tripped value (0 by default: every request refused, nothing billed but the
refusals). The spend alarm puts it back when it clears; `make restore STAGE=...` does at once
(docs/deploy.md, "Flood ceiling and breaker")."""
