"""The page view's queries are checked by hand (backend/api/query.py) and documented by pydantic
models (backend/api/schemas.py): both must accept and refuse the same queries, with the same
values. One difference is deliberate: `limit` is digits only, where pydantic's lax mode also
takes " 5", "+5", "5.0" and "1_0".
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from backend.api.query import CountsQuery, ReadQuery
from backend.api.schemas import CountsParams, ReadParams
from backend.domain.errors import BadRequest

# Values worth trying: good ones, and each way one is bad.
SITES = st.sampled_from(["blog", "b.log-2_x", "", "bad site", "é", "x" * 64, "x" * 65, "a/b"])
URIS = st.one_of(
    st.sampled_from(["/", "/post/", "/p?q=1", "post", "/a b", "/\u200bx", "/\x00", "/é/ü"]),
    st.builds(lambda n: "/" + "x" * n, st.sampled_from([510, 511, 512, 1980, 1981])),
    st.builds(lambda n: "/" + "é" * n, st.sampled_from([500, 990, 991])),
    st.text(min_size=0, max_size=12),
)
LIMITS = st.one_of(st.sampled_from(["1", "50", "100", "0", "101", "", "x", "٣", "-1"]), st.text())
CURSORS = st.one_of(st.sampled_from(["", "abc", "x" * 512, "x" * 513]), st.text(max_size=8))
SORTS = st.sampled_from(["oldest", "newest", "top", "", "Top", "best"])
LAX_NUMBER = ("+", " ", "_", ".")


def outcome(parse: Any, validate: Any) -> tuple[bool, Any, Any]:
    try:
        mine = parse()
    except BadRequest as exc:
        mine = exc
    try:
        model = validate()
    except ValidationError as exc:
        model = exc
    return isinstance(mine, BadRequest), mine, model


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {"site": SITES, "uri": URIS},
        optional={"limit": LIMITS, "after": CURSORS, "sort": SORTS, "colour": st.just("red")},
    )
)
def test_read_query_agrees_with_its_model(params: dict[str, str]) -> None:
    refused, mine, model = outcome(
        lambda: ReadQuery.parse(params.items()), lambda: ReadParams.model_validate(params)
    )
    if isinstance(model, ValidationError):
        assert refused, f"accepted what the model refuses: {params}"
        bad = {str(e["loc"][0]) for e in model.errors()}
        assert bad <= set(mine.fields), (mine.fields, model.errors())
    elif refused:  # only lax spellings of the limit may be refused where the model accepts
        assert set(mine.fields) == {"limit"} and any(c in params["limit"] for c in LAX_NUMBER)
    else:
        assert (mine.site, mine.uri, mine.limit, mine.after, mine.sort) == (
            model.site, model.uri, model.limit, model.after, model.sort,
        )  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(SITES, st.lists(URIS, max_size=3), st.sampled_from([0, 1, 100, 101]))
def test_counts_query_agrees_with_its_model(site: str, uris: list[str], copies: int) -> None:
    many = (uris * copies)[: max(copies, len(uris))] if uris else []
    items = [("site", site), *(("uri", u) for u in many)]
    refused, mine, model = outcome(
        lambda: CountsQuery.parse(items),
        lambda: CountsParams.model_validate({"site": site, "uri": many}),
    )
    assert refused == isinstance(model, ValidationError), (items[:3], mine, model)
    if not refused:
        assert (mine.site, mine.uris) == (model.site, model.uri)


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ([], {"site": "required", "uri": "required"}),
        ([("site", "blog"), ("uri", "/p/"), ("limit", "0"), ("sort", "best")], {"limit", "sort"}),
        ([("site", "blog"), ("uri", "/p/"), ("_", "1")], {"_": "unknown parameter"}),
        ([("site", "blog")] + [("uri", "/p/")] * 101, {"uri": "give 1 to 100"}),
    ],
)
def test_every_bad_parameter_is_named_at_once(
    query: list[tuple[str, str]], fields: dict[str, str] | set[str]
) -> None:
    parse = CountsQuery.parse if len(query) > 100 else ReadQuery.parse
    with pytest.raises(BadRequest) as refused:
        parse(query)
    got = refused.value.fields
    assert (set(got) if isinstance(fields, set) else got) == fields


def test_a_repeated_parameter_is_refused() -> None:
    """Which of two values would count? A proxy, the CORS check and the handler could each
    read another: refused, naming the parameter."""
    with pytest.raises(BadRequest) as refused:
        ReadQuery.parse([("site", "a"), ("site", "blog"), ("uri", "/p/"), ("limit", "7")])
    assert refused.value.fields == {"site": "give it once"}
