"""Replies from the open web: the Webmention receiver's verification, fediverse pulls and the
one guarded fetcher they share (fetch.py). Run by the worker, never inside a request."""
