"""The page view's answers are built without pydantic (backend/api/views.py); the models in
backend/api/schemas.py document them in OpenAPI. Every view must validate against its model and
serialize to the same JSON, so the document never lies about what readers get.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.api.http import dumps
from backend.api.schemas import CommentOut, ThreadOut, ThreadPageOut
from backend.api.views import comment_view, instant, page_view, thread_view
from backend.domain.models import Comment, Status, Thread

TEXT = st.text(max_size=40)  # any characters: quotes, backslashes, controls, emoji, RTL
WHEN = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)

COMMENTS = st.builds(
    Comment,
    site=st.just("blog"),
    uri=st.just("/p/"),
    id=st.just("01JDQ3M9Z8X7W6V5T4S3R2Q1P0"),
    parent=st.none() | st.just("01JDQ3M9Z8X7W6V5T4S3R2Q1PZ"),
    author=TEXT,
    email=TEXT,
    website=st.none() | TEXT,
    text=TEXT,
    html=TEXT,
    status=st.sampled_from(Status),
    created=WHEN,
    edited=st.none() | WHEN,
    likes=st.integers(0, 10**9),
    replies=st.integers(0, 10**6),
    ip_hash=TEXT,
    avatar=TEXT,
)
THREADS = st.none() | st.builds(
    Thread,
    site=st.just("blog"),
    uri=st.just("/p/"),
    title=TEXT,
    count=st.integers(0, 10**6),
    locked=st.booleans(),
    created=WHEN,
)


@settings(max_examples=200, deadline=None)
@given(
    THREADS,
    st.lists(st.tuples(st.none() | st.integers(1, 10**6), COMMENTS), max_size=4),
    st.none() | TEXT,
)
def test_page_view_is_what_its_model_says(
    thread: Thread | None, comments: list[tuple[int | None, Comment]], cursor: str | None
) -> None:
    view = page_view("/p/", thread, comments, cursor)
    model = ThreadPageOut.model_validate(view)
    assert dumps(view) == model.__pydantic_serializer__.to_json(model)
    for number, comment in comments:
        # The model's fields and no others: never the email, the IP hash or the source.
        assert set(comment_view(comment, number)) == set(CommentOut.model_fields)
    assert set(thread_view("/p/", thread)) == set(ThreadOut.model_fields)


def test_instants_are_written_as_pydantic_writes_them() -> None:
    plain = datetime(2026, 11, 30, 18, 0, 0, tzinfo=UTC)
    assert instant(plain) == "2026-11-30T18:00:00Z"
    assert instant(plain.replace(microsecond=120)) == "2026-11-30T18:00:00.000120Z"
    paris = plain.astimezone(timezone(timedelta(hours=1)))
    assert instant(paris) == "2026-11-30T19:00:00+01:00"
