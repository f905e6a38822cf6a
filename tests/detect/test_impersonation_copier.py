"""Which of two near-identical websites is the copy (``impersonation._copier``)."""

from functools import cache

import pytest

from diversion.detect.impersonation import Site, _copier, page_words

ORIGINAL = Site("lakeside-machinery.com", "e-lake", "Lakeside Machinery Inc", "Lakeside Machinery: CNC lathes "
                "and machining centres since 1982. <b>Service</b> in Illinois.", "US")
# The copy keeps the original's words, so it names Lakeside Machinery; the original does not name the copier.
COPY = Site("lakeside-tech.ru", "e-copy", "Ural Metal Trading", ORIGINAL.text + " Ural Metal Trading.", "RU")


@pytest.mark.parametrize("words", [page_words, cache(page_words)])
def test_the_site_naming_the_other_company_is_the_copy(words) -> None:
    assert _copier(ORIGINAL, COPY, {}, set(), words) is COPY
    assert _copier(COPY, ORIGINAL, {}, set(), words) is COPY


def test_a_page_is_read_as_its_words() -> None:
    assert page_words("LAKESIDE-machinery,  Inc.") == "lakeside machinery inc"
    named = Site("x.example", "e-x", "Gamma", "we resell lakeside   MACHINERY parts", None)
    assert _copier(named, ORIGINAL, {}, set()) is named  # case and spacing aside


def test_when_neither_names_the_other_the_unauthorised_or_contradicted_site_is_the_copy() -> None:
    a = Site("a.example", "e-a", "Alpha Tools", "the same page text", "AE")
    b = Site("b.example", "e-b", "Beta Tools", "the same page text", "CN")
    assert _copier(a, b, {}, {"e-a"}) is b  # a is an authorised distributor
    assert _copier(a, b, {"e-b": {"RU"}}, set()) is b  # b's claimed country is contradicted by the registry
    assert _copier(a, b, {}, set()) is None
