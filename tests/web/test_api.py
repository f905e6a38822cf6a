"""JSON API: yente-shaped screening, entities, search, leads, flows, review, and the 4xx cases."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from diversion.config import describe, load_settings
from tests.web.case_network import AMEGINO, AMG, AMG_NAME, API_KEY, ELE


def match(client: TestClient, queries: dict, dataset: str = "default", **params: object):
    return client.post(f"/match/{dataset}", json={"queries": queries}, params=params)


def company(*names: str, **props: list[str]) -> dict:
    return {"schema": "Company", "properties": {"name": list(names), **props}}


# --- /match: yente round trips ------------------------------------------------------------------


def test_match_answers_in_yente_shape(client: TestClient) -> None:
    # yente's newest shape: no "matcher" beside the responses, no "features" in a result (issue #17 named both
    # as extra keys a yente client does not know), explanations as {detail, score, query, candidate}.
    r = match(client, {"q1": company("AMG", country=["ru"]), "other": company("Amegino")})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"responses", "limit"}
    assert set(body["responses"]) == {"q1", "other"}
    q1 = body["responses"]["q1"]
    assert q1["status"] == 200 and q1["total"]["relation"] == "eq"
    assert q1["query"] == {"id": None, "schema": "Company", "properties": {"name": ["AMG"], "country": ["ru"]}}
    top = q1["results"][0]
    yente_keys = {"id", "caption", "schema", "properties", "datasets", "referents", "target", "first_seen",
                  "last_seen", "last_change", "score", "match", "explanations"}
    assert set(top) - yente_keys == {"diversion:entity"}
    assert top["id"] == "ofac-1001" and top["match"] is True and top["score"] == 1.0 and top["target"] is True
    name = top["explanations"]["name_similarity"]
    assert name["score"] == 1.0 and "same name" in name["detail"] and name["query"] == "AMG"
    assert r.headers["x-batch-size"] == "2"
    # The default collection holds listed entities only: the trade party Amegino is no result there...
    assert all(x["id"] != AMEGINO for x in body["responses"]["other"]["results"])
    # ...it is one of /match/entities, the warehouse's resolved parties.
    ents = match(client, {"q": company("Amegino")}, "entities").json()["responses"]["q"]["results"]
    assert ents[0]["id"] == AMEGINO


def test_match_cyrillic_query_finds_latin_listing(client: TestClient) -> None:
    results = match(client, {"q": company(AMG_NAME)}, "sanctions").json()["responses"]["q"]["results"]
    assert [r["id"] for r in results][:1] == ["ofac-1001"]
    assert results[0]["target"] is True and results[0]["datasets"] == ["us_ofac_sdn"]


def test_match_dataset_selects_collection(client: TestClient) -> None:
    ents = match(client, {"q": company("AMG")}, "entities").json()["responses"]["q"]["results"]
    assert {r["id"] for r in ents} == {AMG}
    listed = match(client, {"q": company("Ivan Petrov")}, "gb_hmt_sanctions").json()["responses"]["q"]["results"]
    assert listed == []  # a Company query never returns a Person
    person = {"schema": "Person", "properties": {"name": ["Петров Иван"]}}
    hits = match(client, {"q": person}, "gb_hmt_sanctions").json()["responses"]["q"]["results"]
    assert hits and hits[0]["id"] == "gb-7"


def test_match_threshold_and_limit_from_body_or_query(client: TestClient) -> None:
    body = {"queries": {"q": company("AMG")}, "threshold": 1.0, "limit": 1}
    r = client.post("/match/default", json=body).json()
    assert r["limit"] == 1 and len(r["responses"]["q"]["results"]) == 1
    r = match(client, {"q": company("Amegino Trading")}, threshold=0.99).json()
    assert all(not x["match"] for x in r["responses"]["q"]["results"] if x["score"] < 0.99)


def test_match_identifier_lifts_score(client: TestClient) -> None:
    r = match(client, {"q": company("Completely Different Name", innCode=["77-0123-4567"])}, "sanctions").json()
    top = r["responses"]["q"]["results"][0]
    assert top["id"] == "ofac-1001" and top["explanations"]["identifier_match"]["score"] == 1.0
    assert top["score"] >= 0.95


@pytest.mark.parametrize(
    ("payload", "dataset", "status"),
    [
        ({"queries": {"q": company("AMG")}}, "nope", 404),
        ({"queries": {"q": {"schema": "Spaceship", "properties": {"name": ["x"]}}}}, "default", 400),
        ({"queries": {"q": {"schema": "Company", "properties": {"country": ["ru"]}}}}, "default", 400),
        ({"queries": {"q": company("!!!")}}, "default", 400),
        ({"queries": {}}, "default", 400),
        ({"queries": {"q": {"properties": {"name": ["AMG"]}}}}, "default", 422),
        ({"queries": {"q": company("A" * 1001)}}, "default", 422),
        ({"queries": {"q": company("AMG\x00")}}, "default", 422),
        ({"queries": {"q": company("AMG")}, "limit": 0}, "default", 422),
        ({"queries": {f"q{i}": company("AMG") for i in range(101)}}, "default", 400),
    ],
)
def test_match_rejects_bad_queries_with_4xx(client: TestClient, payload: dict, dataset: str, status: int) -> None:
    r = client.post(f"/match/{dataset}", json=payload)
    assert r.status_code == status, r.text
    assert r.json()["detail"]


def test_non_utf8_body_is_a_4xx(client: TestClient) -> None:
    raw = b'{"queries": {"q": {"schema": "Company", "properties": {"name": ["\xff\xfeAMG"]}}}}'
    r = client.post("/match/default", content=raw, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500


def test_non_utf8_query_string_is_a_400(client: TestClient) -> None:
    r = client.get("/search?q=%FF%FEAMG")
    assert r.status_code == 400 and "UTF-8" in r.json()["detail"]


def test_ten_megabyte_body_is_413(client: TestClient) -> None:
    big = b'{"queries": {"q": {"schema": "Company", "properties": {"name": ["' + b"A" * (10 * 2**20) + b'"]}}}}'
    r = client.post("/match/default", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_chunked_oversized_body_is_413(client: TestClient) -> None:
    def chunks():
        yield b'{"queries": {"q": {"schema": "Company", "properties": {"name": ["'
        for _ in range(12):
            yield b"A" * 2**20
        yield b'"]}}}}'

    r = client.post("/match/default", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_sql_fragment_is_just_a_name(client: TestClient) -> None:
    evil = "AMG'; DROP TABLE entities; --"
    r = match(client, {"q": company(evil)})
    assert r.status_code == 200
    assert client.get("/search", params={"q": evil}).status_code == 200
    assert client.get("/leads", params={"country": "x'"}).status_code == 422
    assert client.get(f"/entities/{evil}").status_code == 404
    assert client.get(f"/ui/entities/{evil}").status_code == 404
    assert client.get(f"/entities/{AMG}").status_code == 200  # the table is still there


# --- entities, search, leads, flows ----------------------------------------------------------------


def test_entity_detail(client: TestClient) -> None:
    e = client.get(f"/entities/{AMG}").json()
    assert e["name"] == AMG_NAME and "AMG LLC" in e["names"] and e["countries"] == ["RU"]
    assert e["identifiers"] == ["inn:7701234567"]
    assert e["sanctions_matches"][0]["sanction_entity_id"] == "ofac-1001"
    assert {f["detector"] for f in e["findings"]} == {"sanctioned", "military_end_user"}
    assert e["lead"]["rank"] == 1 and e["shipments_total"] == 34
    assert e["counterparts"][0]["other_id"] == AMEGINO and e["counterparts"][0]["relation"] == "supplier"
    assert e["ownership"][0]["direction"] == "owned by" and e["ownership"][0]["share"] == 0.6
    assert client.get("/entities/e-missing").status_code == 404


def test_entity_websites(client: TestClient) -> None:
    e = client.get(f"/entities/{ELE}").json()
    assert e["websites"][0]["domain"] == "ele-tech.cn" and e["websites"][0]["hosting_country"] == "RU"


def test_shipments_are_paged_and_sorted_server_side(client: TestClient) -> None:
    first = client.get(f"/entities/{AMG}/shipments", params={"sort": "value_usd", "order": "desc", "limit": 25}).json()
    assert first["total"] == 34 and len(first["results"]) == 25
    values = [r["value_usd"] for r in first["results"]]
    assert values == sorted(values, reverse=True)
    rest = client.get(f"/entities/{AMG}/shipments", params={"sort": "value_usd", "order": "desc", "offset": 25}).json()
    assert len(rest["results"]) == 9 and rest["results"][0]["value_usd"] <= values[-1]
    assert client.get(f"/entities/{AMG}/shipments", params={"sort": "value_usd; DROP"}).status_code == 422


def test_network_marks_sanctioned_nodes(client: TestClient) -> None:
    net = client.get(f"/entities/{AMG}/network").json()
    nodes = {n["data"]["id"]: n["data"] for n in net["nodes"]}
    assert nodes[AMG]["focus"] and nodes[AMG]["sanctioned"]
    assert nodes[AMEGINO]["href"] == f"/ui/entities/{AMEGINO}" and not nodes[AMEGINO]["sanctioned"]
    assert ELE in nodes  # two hops: AMG ← Amegino ← ELE
    assert all(e["data"]["source"] in nodes and e["data"]["target"] in nodes for e in net["edges"])


@pytest.mark.parametrize("q", ["AMG", "АМГ", AMG_NAME, "OOO AMG", "amg llc"])
def test_search_is_transliteration_aware(client: TestClient, q: str) -> None:
    results = client.get("/search", params={"q": q}).json()["results"]
    assert results[0]["entity_id"] == AMG
    assert results[0]["flags"] == ["sanctioned", "military_end_user"] and results[0]["sanctioned"]


def test_search_finds_latin_entity_from_cyrillic_and_fragments(client: TestClient) -> None:
    assert client.get("/search", params={"q": "Амегино"}).json()["results"][0]["entity_id"] == AMEGINO
    assert AMEGINO in {r["entity_id"] for r in client.get("/search", params={"q": "Ameg"}).json()["results"]}
    assert client.get("/search", params={"q": "7701234567"}).json()["results"][0]["entity_id"] == AMG
    assert client.get("/search", params={"q": "!!!"}).json()["results"] == []
    assert client.get("/search", params={"q": ""}).status_code == 422


def test_leads_filter_by_flag_and_country(client: TestClient) -> None:
    all_leads = client.get("/leads").json()
    assert [r["rank"] for r in all_leads["results"]] == [1, 2, 3]
    surge = client.get("/leads", params={"flag": "intermediary_surge"}).json()
    assert [r["entity_id"] for r in surge["results"]] == [AMEGINO]
    ru = client.get("/leads", params={"country": "ru"}).json()
    assert ru["total"] == 1 and ru["results"][0]["flags"] == ["sanctioned", "military_end_user"]
    assert client.get("/leads", params={"flag": "Bad Flag"}).status_code == 422


def test_flows_json(client: TestClient) -> None:
    body = client.get("/flows", params={"importer_country": "RU"}).json()
    assert body["error"] is None and body["currency"] == "USD"
    growth = {g["group"]: g for g in body["flows"]["exporter"]["growth"]}
    assert growth["Amegino FZE"]["after"] > growth["Amegino FZE"]["before"] == 0
    assert client.get("/flows", params={"currency": "usd"}).status_code == 422


# --- review: writing needs the key ------------------------------------------------------------------


def test_review_queue_lists_uncertain_pairs(client: TestClient) -> None:
    body = client.get("/review").json()
    assert body["total"] == 3
    assert body["results"][0]["left"]["name"] and body["results"][0]["right"]["name"]


def test_read_only_server_refuses_writes(client: TestClient) -> None:
    decision = {"left_id": "m-ame-1", "right_id": "m-ame-2", "judgement": "same"}
    assert client.post("/review", json=decision, headers={"X-API-Key": API_KEY}).status_code == 403


def test_review_decision_needs_key_and_persists(writer: TestClient) -> None:
    decision = {"left_id": "m-ame-1", "right_id": "m-ame-2", "judgement": "same", "author": "ana", "reason": "INN"}
    assert writer.post("/review", json=decision).status_code == 401
    assert writer.post("/review", json=decision, headers={"X-API-Key": "wrong"}).status_code == 401
    r = writer.post("/review", json=decision, headers={"X-API-Key": API_KEY})
    assert r.status_code == 201, r.text
    assert r.json()["judgement"] == "same" and r.json()["author"] == "ana"
    queue = writer.get("/review").json()
    assert queue["total"] == 2
    assert ("m-ame-1", "m-ame-2") not in {(p["left_id"], p["right_id"]) for p in queue["results"]}
    state = writer.app.state.diversion
    rows = state.wh.rows("SELECT left_id, right_id, judgement, author, reason FROM decisions")
    assert rows == [
        {"left_id": "m-ame-1", "right_id": "m-ame-2", "judgement": "same", "author": "ana", "reason": "INN"}
    ]


@pytest.mark.parametrize(
    ("decision", "status"),
    [
        ({"left_id": "m-ame-1", "right_id": "m-nope", "judgement": "same"}, 404),
        ({"left_id": "m-ame-1", "right_id": "m-ame-1", "judgement": "same"}, 404),
        ({"left_id": "m-ame-1", "right_id": "m-ame-2", "judgement": "maybe"}, 422),
        ({"left_id": "m-ame-1", "right_id": "m-ame-2\ufffd", "judgement": "same"}, 422),
    ],
)
def test_bad_decisions_are_4xx(writer: TestClient, decision: dict, status: int) -> None:
    assert writer.post("/review", json=decision, headers={"X-API-Key": API_KEY}).status_code == status


def test_login_cookie_allows_form_decisions(writer: TestClient) -> None:
    assert writer.post("/login", data={"api_key": "wrong"}).status_code == 401
    r = writer.post("/login", data={"api_key": API_KEY}, follow_redirects=False)
    assert r.status_code == 303 and "diversion_session" in r.cookies
    assert API_KEY not in r.headers["set-cookie"]
    form = {"left_id": "m-ele-1", "right_id": "m-oth-1", "judgement": "different"}
    r = writer.post("/ui/review", data=form, follow_redirects=False)
    assert r.status_code == 303 and "Recorded" in r.headers["location"]
    assert writer.get("/review").json()["total"] == 2
    cross = writer.post("/ui/review", data=form, headers={"origin": "http://evil.example"})
    assert cross.status_code == 403


def test_api_key_is_never_logged(writer: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    writer.post(
        "/review",
        json={"left_id": "m-ame-1", "right_id": "m-nope", "judgement": "same"},
        headers={"X-API-Key": API_KEY},
    )
    writer.post("/login", data={"api_key": API_KEY})
    writer.post("/login", data={"api_key": API_KEY + "x"})
    settings = load_settings(environ={"DIVERSION_WEB__API_KEY": API_KEY})
    logging.getLogger("test").info("settings: %r %s", settings, describe(settings))
    assert caplog.records and API_KEY not in caplog.text


# --- hardening ---------------------------------------------------------------------------------------


def test_security_headers_and_local_assets(client: TestClient) -> None:
    r = client.get("/")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "http" not in csp
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    for page in ("/", f"/ui/entities/{AMG}", "/ui/flows", "/docs"):
        html = client.get(page).text
        assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html, page
    js = client.get("/assets/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000
    assert client.get("/static/vendor/cytoscape.min.js").status_code == 200
    assert "/match/{dataset}" in client.get("/openapi.json").json()["paths"]


def test_decision_is_what_the_next_resolve_reads(writer: TestClient) -> None:
    from diversion.resolve.decisions import current_decisions

    decision = {"left_id": "m-ele-1", "right_id": "m-oth-1", "judgement": "different", "reason": "other address"}
    assert writer.post("/review", json=decision, headers={"X-API-Key": API_KEY}).status_code == 201
    wh = writer.app.state.diversion.wh
    with wh.read_engine() as engine:
        same, different = current_decisions(engine)
    assert same == [] and different == [("m-ele-1", "m-oth-1")]
