"""The flood breaker: when the public endpoint's request count stays past its threshold, a
CloudWatch alarm invokes `backend.breaker.lambda_breaker.handler`, which sets the API function's
reserved concurrency to the tripped value (0 by default: every request refused, nothing billed
but the refusals). The owner restores it with `make restore STAGE=...` (docs/deploy.md)."""
