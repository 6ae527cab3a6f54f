"""The spam filter's parts on their own (backend/spam/tokens.py, model.py): what it reads in a
comment, how it scores once taught, and that its stored size stays bounded."""

from __future__ import annotations

import random
import string

from backend.spam.model import MAX_BYTES, MAX_TOKENS, MIN_EACH, Model
from backend.spam.tokens import tokens

SPAM = [
    "Cheap watches at http://deals.example.biz/shop buy now!!!",
    "Buy cheap watches today, best deals http://www.deals.example.biz",
    "BEST CHEAP WATCHES, CLICK THE LINK NOW http://deals.example.biz/x",
    "cheap pills and watches: deals.example.biz",
]
HAM = [
    "I tried the recipe last night and the sauce came out a bit thin.",
    "Thanks for the write-up; the part about the sauce helped a lot.",
    "Does the recipe work with brown rice instead of white?",
    "Lovely post. My grandmother made the sauce the same way.",
]


def taught() -> Model:
    model = Model()
    for text in SPAM:
        model.learn(tokens(text), spam=True)
    for text in HAM:
        model.learn(tokens(text), spam=False)
    return model


def test_tokens_read_words_links_the_website_and_shape() -> None:
    found = tokens(
        "<b>Great</b> \ufeffpost!!! See https://www.shop.example.co.uk/a and spam.example.com",
        "https://www.author.example/about",
    )
    assert {"w:great", "w:post", "w:great post", "w:see"} <= found
    assert "w:b" not in found  # markup is no word
    assert {"link:shop.example.co.uk", "link:example.com"} <= found
    assert {"site:author.example", "shape:exclaims", "shape:markup"} <= found
    assert "shape:links:0" not in found
    assert "script:latin" in found
    assert not any("\ufeff" in t for t in found)
    assert "site:none" in tokens("no website")
    assert "shape:shouting" in tokens("THIS IS ALL VERY LOUD TEXT")


def test_tokens_read_link_paths_word_stems_and_normalised_letters() -> None:
    # Fullwidth letters (a common disguise) read as the letters they stand for.
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in "Visit http://www.shop.example")
    found = tokens(fullwidth + "/deals/cheap-watches?ref=x1")
    assert {"w:visit", "link:shop.example"} <= found
    assert {"path:deals", "path:cheap", "path:watches", "url:query", "url:key:ref"} <= found
    assert "url:depth:2" in found and "path:x1" not in found  # a code is no word
    # A long word also counts by its first letters: its other forms share that evidence.
    assert {"pre:subsc", "w:subscribers"} <= tokens("more subscribers")
    assert "pre:subsc" in tokens("I subscribed")
    assert not any(t.startswith("pre:") for t in tokens("short words only"))


def test_an_untaught_model_has_no_opinion() -> None:
    model = Model()
    for text in SPAM[: MIN_EACH - 1]:
        model.learn(tokens(text), spam=True)
    for text in HAM:
        model.learn(tokens(text), spam=False)
    assert model.score(tokens(SPAM[0])).spam == 0.5


def test_taught_it_tells_spam_from_the_sites_comments() -> None:
    model = taught()
    spam = model.score(tokens("cheap watches, great deals at http://deals.example.biz/new"))
    ham = model.score(tokens("The sauce in this recipe is just like my grandmother's."))
    assert spam.spam > 0.9 > 0.1 > ham.spam
    assert "link:deals.example.biz" in spam.top or "cheap" in spam.describe()
    assert spam.describe().startswith(f"score {spam.spam:.2f}: ")
    # Words it never saw tell nothing.
    assert not {"w:zyxw", "w:qvut"} & set(model.score(tokens("zyxw qvut cheap")).top)


def test_it_survives_a_dump_and_load() -> None:
    model = taught()
    again = Model.load(model.dump())
    assert (again.spam, again.ham, again.counts) == (model.spam, model.ham, model.counts)
    text = tokens(SPAM[1])
    assert again.score(text) == model.score(text)


def test_its_size_is_bounded_whatever_it_is_taught() -> None:
    rng = random.Random(7)
    model = Model()
    for i in range(3000):
        words = " ".join("".join(rng.choices(string.ascii_lowercase, k=8)) for _ in range(30))
        model.learn(tokens(words), spam=i % 2 == 0)
    assert model.spam + model.ham == 3000
    assert len(model.counts) <= MAX_TOKENS * 6 // 5
    assert len(model.dump()) <= MAX_BYTES
    assert Model.load(model.dump()).spam == 1500
