import pytest

from diversion.reference import (
    chpl_tier,
    country_name,
    hs_description,
    is_machine_tool,
    load_chpl,
    load_hubs,
    normalise_hs,
    to_iso2,
)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("КИТАЙ", "CN"),
        ("Китай", "CN"),
        ("China", "CN"),
        ("cn", "CN"),
        ("ТАЙВАНЬ (КИТАЙ)", "TW"),
        ("ОБЪЕДИНЕННЫЕ АРАБСКИЕ ЭМИРАТЫ", "AE"),
        ("United Arab Emirates", "AE"),
        ("Korea, Republic of", "KR"),
        ("РЕСПУБЛИКА КОРЕЯ", "KR"),
        ("Germany", "DE"),
        ("ЯПОНИЯ", "JP"),
        ("  russia ", "RU"),
    ],
)
def test_to_iso2(raw, code):
    assert to_iso2(raw) == code


@pytest.mark.parametrize("raw", [None, "", "   ", "Atlantis", "ZZ"])
def test_to_iso2_unknown(raw):
    assert to_iso2(raw) is None


def test_country_name():
    assert country_name("AE") == "United Arab Emirates"
    assert country_name("") == ""


@pytest.mark.parametrize(
    ("raw", "norm"),
    [("8458.11", "845811"), ("0101 21 000 0", "0101210000"), ("84", "84"), ("8458-11-00", "84581100")],
)
def test_normalise_hs_keeps_leading_zeros(raw, norm):
    assert normalise_hs(raw) == norm


@pytest.mark.parametrize("raw", [None, "", "ABC", "8", "12345678901", "84a5"])
def test_normalise_hs_rejects(raw):
    assert normalise_hs(raw) is None


def test_chpl_has_fifty_items_and_tiers():
    chpl = load_chpl()
    assert len(chpl) == 50
    assert chpl_tier("8458110000") == "4.B"
    assert chpl_tier("854231") == "1"
    assert chpl_tier("8501") is None
    assert {item.tier for item in chpl.values()} == {"1", "2", "3.A", "3.B", "4.A", "4.B"}


def test_machine_tool_headings():
    assert is_machine_tool("8456")
    assert is_machine_tool("846693")
    assert not is_machine_tool("8467")
    assert not is_machine_tool("8455")
    assert "lathes" in (hs_description("845811") or "").lower()
    assert hs_description("8457") and hs_description("39") == "Plastics and articles thereof"


def test_hubs_carry_their_source():
    hubs = load_hubs()
    assert {"AE", "CN", "HK", "KZ", "AM", "TR"} <= set(hubs)
    assert all(h.source_url.startswith("https://") for h in hubs.values())
    assert hubs["HK"].listed_by.startswith("Tri-seal")
