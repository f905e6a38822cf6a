"""Any text in a name or a search box gets an answer or a 4xx, never a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

NAMES = st.text(min_size=0, max_size=60) | st.sampled_from(
    ["' OR 1=1 --", 'AMG"); DROP TABLE leads; --', "%", "_", "\\", "ООО «АМГ»", "深圳市易乐科技有限公司", "\u202e"]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAMES, country=st.text(max_size=5))
def test_match_never_fails_on_any_name(client: TestClient, name: str, country: str) -> None:
    q = {"schema": "Company", "properties": {"name": [name], "country": [country]}}
    r = client.post("/match/default", json={"queries": {"q": q}})
    assert r.status_code in (200, 400, 422), r.text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=NAMES)
def test_search_never_fails_on_any_text(client: TestClient, q: str) -> None:
    assert client.get("/search", params={"q": q}).status_code in (200, 400, 422)
    assert client.get("/ui/search", params={"q": q}).status_code in (200, 400, 422)
