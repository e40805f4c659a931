"""Full-text search: substring recall for Chinese (any two characters, dictionary word or not),
mixed scripts, one character; always filtered by what the searcher may see."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, inspect, select, text

from core import db
from core.cli import main
from core.items import operations as items
from core.items.models import Item, ItemVersion
from core.search import operations as search_ops
from core.search import tokens
from core.search.models import SearchDocument
from tests.items_helpers import build_world, plan, published

search = search_ops.search
PUBLIC = {"entry_key": "org.election", "scope": "public", "channels": ["website"]}


@pytest.fixture
def w(make_org):
    return build_world(make_org)


def item_with(w, zh_body: str, *, title: str = "公开事项", en: str | None = None, **plan):
    """An item published through the whole workflow (the events index it)."""
    bodies = {"zh_Hans_CN": zh_body, **({"en": en} if en else {})}
    return published(w, titles={"zh_Hans_CN": title}, bodies=bodies, **{**PUBLIC, **plan})


def make_item(
    org,
    zh_body: str,
    *,
    title: str = "事项",
    scope: str = "public",
    state: str = "published",
    published_at: datetime | None = None,
    category_key: str | None = None,
    cadence: str | None = None,
) -> Item:
    """An item written directly (no workflow), indexed by index_item: for volume and filters."""
    item = Item(
        org_id=org.id,
        root_id=org.root_id,
        state=state,
        scope=scope,
        visible_scope=scope,
        channels=["website"],
        published_at=published_at or datetime.now(UTC),
        category_key=category_key,
        cadence=cadence,
    )
    db.session.add(item)
    db.session.flush()
    version = ItemVersion(
        item_id=item.id, number=1, titles={"zh_Hans_CN": title}, bodies={"zh_Hans_CN": zh_body}
    )
    db.session.add(version)
    db.session.flush()
    item.current_version = version
    db.session.flush()
    search_ops.index_item(item)
    return item


def ids(results) -> set[int]:
    return {i.id for i in results.items}


# --- the tokeniser ---------------------------------------------------------------------------


def test_runs_become_overlapping_bigrams_ended_by_their_last_character():
    assert tokens.document_tokens("第三幼儿园，党办") == "第三 三幼 幼儿 儿园 园 党办 办"
    assert tokens.document_tokens("三幼2024") == "三幼 幼2 20 02 24 4"
    assert tokens.document_tokens("ABC党办") == "ab bc c党 党办 办"
    assert tokens.document_tokens("ＡＢＣ１２３") == "ab bc c1 12 23 3"  # full width (NFKC)
    assert tokens.document_tokens("党 a") == "党 a"
    assert tokens.document_tokens("“”——！ …") == ""


def test_query_syntax_is_built_from_word_characters_only():
    assert tokens.query_runs('党费" OR "x*') == ["党费", "or", "x"]
    assert tokens.fts5_query(["党费", "or", "x"]) == '"党费" AND "or" AND "x" *'
    assert tokens.fts5_query(["党务公开"]) == '"党务 务公 公开"'
    # PostgreSQL's candidates: bigrams covering each character (the substring check confirms)
    assert tokens.tsquery(["党务公开", "费"]) == "'党务' & '公开' & '费':*"
    assert tokens.tsquery(["2011年"]) == "'20' & '11' & '1年'"
    assert tokens.tsquery(["党员"], root_id=7, public=True, block=(3, 36)) == "'党员' & '§7pt3x36'"
    assert tokens.tsquery(["党员"], root_id=7, block=(3, 36)) == "'党员' & '§7t3x36'"
    assert tokens.tsquery(["党员"], public=True, block=(3, 36)) == "'党员' & '§public' & '§t3x36'"
    assert tokens.tsquery(["党员"], root_id=7, public=True) == "'党员' & '§7p'"
    assert tokens.tsquery(["党员"], root_id=7) == "'党员' & '§7'"
    assert tokens.fts5_query(["党员"], root_id=7, public=True) == '"党员" AND "§7p"'
    assert tokens.fts5_query(["党员"], public=True) == '"党员" AND "§public"'
    assert tokens.query_runs("NEAR(党费, 2) -换届 a:b") == ["near", "党费", "2", "换届", "a", "b"]
    assert tokens.query_runs(' "*():^-+ ') == []
    assert len("".join(tokens.query_runs("党" * 1000))) == tokens.MAX_QUERY_CHARS


# --- substring recall ------------------------------------------------------------------------


def test_two_character_words_are_found(w):
    fees = item_with(w, "本季度应缴党费1200元，实缴1200元。")
    election = item_with(w, "支部委员会换届选举结果公示。")
    assert ids(search(None, "党费")) == {fees.id}
    assert ids(search(None, "换届")) == {election.id}
    assert search(None, "党费").total == 1


def test_abbreviations_inside_longer_words_are_found(w):
    kindergarten = item_with(w, "第三幼儿园党支部党务公开实施方案")
    notice = item_with(w, "根据新党办发〔2011〕21号文件精神")
    assert ids(search(None, "三幼")) == {kindergarten.id}
    assert ids(search(None, "党办")) == {notice.id}
    assert ids(search(None, "幼儿园党支部")) == {kindergarten.id}
    assert ids(search(None, "党务公开")) == {kindergarten.id}
    assert ids(search(None, "党支")) == {kindergarten.id}


def test_mixed_chinese_latin_and_digits(w):
    mixed = item_with(w, "三幼2024年度ABC党办工作计划", en="Annual plan of the Kindergarten No. 3")
    dues = item_with(w, "2026年Q1党费")
    assert ids(search(None, "三幼2024")) == {mixed.id}
    assert ids(search(None, "abc党办")) == {mixed.id}
    assert ids(search(None, "ＡＢＣ党办")) == {mixed.id}  # full-width Latin
    assert ids(search(None, "kindergarten")) == {mixed.id}  # another locale's text
    assert ids(search(None, "Kinder")) == {mixed.id}  # substring, case-insensitive
    assert ids(search(None, "q1党费")) == {dues.id}
    assert ids(search(None, "2024")) == {mixed.id}
    assert ids(search(None, "202")) == {mixed.id, dues.id}


def test_one_character_queries(w):
    fees = item_with(w, "按时缴纳党费")
    garden = item_with(w, "幼儿园")
    assert ids(search(None, "费")) == {fees.id}  # the last character of a run
    assert ids(search(None, "缴")) == {fees.id}  # inside a run
    assert ids(search(None, "园")) == {garden.id}
    assert ids(search(None, "事")) == {fees.id, garden.id}  # both titles are 公开事项
    assert search(None, "z").total == 0


def test_matches_never_span_punctuation(w):
    item_with(w, "新党。办发", title="标题")
    item_with(w, "xab，bcd", title="标题")
    assert search(None, "党办").total == 0
    assert search(None, "abcd").total == 0
    assert search(None, "bcd").total == 1


def test_several_words_must_all_occur(w):
    both = item_with(w, "党费收缴和换届选举")
    item_with(w, "党费收缴")
    assert ids(search(None, "党费 换届")) == {both.id}


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "*",
        "OR",
        "NEAR(",
        "-",
        '党费" OR "',
        "党费*",
        "党费 NOT 换届",
        "a:b",
        "(党费)",
        "'",
        "\\",
        "^党费",
        "党费 AND",
        "{tokens}: 党费",
        "%_",
    ],
)
def test_full_text_syntax_in_a_query_is_harmless(w, query):
    fees = item_with(w, "按时缴纳党费")
    result = search(None, query)
    expected = (
        {fees.id}
        if tokens.query_runs(query)
        and all(r in "按时缴纳党费 公开事项" for r in tokens.query_runs(query))
        else set()
    )
    assert ids(result) == expected


def test_an_empty_query_finds_nothing(w):
    item_with(w, "党费")
    for query in ("", "   ", None, "，。！"):
        assert search(None, query).total == 0
        assert search(None, query).items == []


# --- visibility ------------------------------------------------------------------------------


@pytest.fixture
def scoped(w):
    word = "党费"
    made = {
        "public": item_with(w, f"{word}公开"),
        "party_wide": published(w, bodies={"zh_Hans_CN": f"{word}党内"}),
        "unit": published(w, bodies={"zh_Hans_CN": f"{word}本单位"}, scope="unit"),
        "specific": published(
            w,
            bodies={"zh_Hans_CN": f"{word}特定"},
            scope="specific",
            audience={"users": ["it-child-member"]},
        ),
    }
    assert {k: v.visible_scope for k, v in made.items()} == {k: k for k in made}
    return made


@pytest.mark.rule("SCOPE-1")
def test_an_anonymous_searcher_only_finds_public_items(w, scoped):
    found = search(None, "党费")
    assert ids(found) == {scoped["public"].id}
    assert found.total == 1
    assert (
        search(None, "党内").total
        == search(None, "本单位").total
        == search(None, "特定").total
        == 0
    )


@pytest.mark.rule("SCOPE-1")
def test_members_find_what_they_may_see(w, scoped):
    assert ids(search(w["member"], "党费")) == {
        scoped[s].id for s in ("public", "party_wide", "unit")
    }
    assert ids(search(w["child_member"], "党费")) == {
        scoped[s].id for s in ("public", "party_wide", "unit", "specific")
    }
    assert ids(search(w["sibling_member"], "党费")) == {
        scoped[s].id for s in ("public", "party_wide")
    }
    assert ids(search(w["other_member"], "党费")) == {scoped["public"].id}
    assert search(w["other_member"], "党费").total == 1
    assert ids(search(w["bureau_reviewer"], "党费")) == set(
        v.id for v in scoped.values()
    )  # a superior


def test_within_limits_the_search_to_the_subtree(w):
    fees = item_with(w, "党费")
    assert ids(search(None, "党费", within=w["county"])) == {fees.id}
    assert ids(search(None, "党费", within=w["unit"])) == {fees.id}
    assert search(None, "党费", within=w["sibling"]).total == 0
    assert search(None, "党费", within=w["child"]).total == 0
    assert search(None, "党费", within=w["other_county"]).total == 0
    other = make_item(w["other_county"], "党费")
    assert ids(search(None, "党费")) == {fees.id, other.id}
    assert ids(search(None, "党费", within=w["other_county"])) == {other.id}


def test_disclosed_states_only(w):
    draft = items.create(w["unit"], plan(bodies={"zh_Hans_CN": "草稿党费"}), actor=w["editor"])
    search_ops.index_item(draft)  # even when asked: a draft is not indexed
    withheld = items.create(w["unit"], plan(), actor=w["editor"])
    items.withhold(withheld, actor=w["admin"], reason="涉及正在调查的事项")
    db.session.commit()
    assert db.session.scalar(select(SearchDocument.item_id)) is None
    assert search(w["bureau_reviewer"], "党费").total == 0


# --- filters and pagination ------------------------------------------------------------------


def test_filters_by_category_cadence_and_date(w):
    unit = w["unit"]
    day = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
    fees = make_item(unit, "党费", category_key="org.fees", cadence="quarterly", published_at=day)
    sub = make_item(
        unit,
        "党费",
        category_key="org.fees.detail",
        cadence="monthly",
        published_at=day + timedelta(days=5),
    )
    other = make_item(
        unit,
        "党费",
        category_key="finance",
        cadence="quarterly",
        published_at=day + timedelta(days=30),
    )
    late_evening = make_item(
        unit, "党费", category_key="finance", published_at=datetime(2026, 3, 31, 16, 30, tzinfo=UTC)
    )
    assert ids(search(None, "党费", category="org.fees")) == {fees.id, sub.id}
    assert ids(search(None, "党费", category="org")) == {fees.id, sub.id}  # and its sub-categories
    assert ids(search(None, "党费", category="or")) == set()  # a key, not a text prefix
    assert ids(search(None, "党费", category="finance")) == {other.id, late_evening.id}
    assert ids(search(None, "党费", cadence="quarterly")) == {fees.id, other.id}
    assert ids(search(None, "党费", date_from=date(2026, 3, 15))) == {
        sub.id,
        other.id,
        late_evening.id,
    }
    assert ids(search(None, "党费", date_to=date(2026, 3, 10))) == {fees.id}
    assert ids(search(None, "党费", date_from=date(2026, 3, 11), date_to=date(2026, 3, 31))) == {
        sub.id
    }
    # 16:30 UTC on 31 March is 1 April in Shanghai
    assert ids(search(None, "党费", date_from=date(2026, 4, 1), within=unit)) == {
        other.id,
        late_evening.id,
    }
    assert ids(
        search(None, "党费", category="org.fees", cadence="monthly", date_to=date(2026, 3, 20))
    ) == {sub.id}


def test_pagination_totals_and_order(w):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    made = [
        make_item(w["unit"], "党费收缴情况", published_at=start + timedelta(days=n))
        for n in range(23)
    ]
    make_item(w["unit"], "党费", scope="party_wide")  # not for anonymous searchers
    db.session.commit()
    first = search(None, "党费收缴", per_page=10)
    assert (first.total, first.pages, first.page, len(first.items)) == (23, 3, 1, 10)
    third = search(None, "党费收缴", page=3, per_page=10)
    assert (third.total, third.pages, len(third.items)) == (23, 3, 3)
    assert search(None, "党费收缴", page=4, per_page=10).items == []
    seen = [i.id for p in (1, 2, 3) for i in search(None, "党费收缴", page=p, per_page=10).items]
    assert sorted(seen) == sorted(i.id for i in made)  # each exactly once
    # equal texts rank equally: the newest first
    assert seen == [i.id for i in reversed(made)]
    assert search(None, "党费收缴", per_page=1000).per_page == search_ops.MAX_PER_PAGE


def test_ranking_prefers_more_occurrences(w):
    once = make_item(
        w["unit"],
        "党费收缴情况，另有其他工作安排和学习计划。",
        published_at=datetime(2026, 2, 1, tzinfo=UTC),
    )
    often = make_item(
        w["unit"],
        "党费：党费收缴、党费使用、党费管理。",
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    for _ in range(3):
        make_item(w["unit"], "学习计划", published_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert [i.id for i in search(None, "党费").items] == [often.id, once.id]


def test_results_carry_a_snippet_and_the_loaded_item(w):
    fees = item_with(
        w, "前言。" * 40 + "本季度应缴党费1200元。" + "结语。" * 40, title="党费收缴情况"
    )
    found = search(None, "1200元")
    snippet = found.snippets[fees.id]
    assert "1200元" in snippet and snippet.startswith("…") and snippet.endswith("…")
    assert found.items[0].title("zh_Hans_CN") == "党费收缴情况"


@pytest.mark.rule("SCOPE-2")
def test_an_item_widened_to_the_public_is_found_by_anonymous_searches_at_once(w):
    """The documents carry a public token (the anonymous searches' pre-filter): widening an
    internal-first item reindexes it, and the migration gave it to the existing documents."""
    from core.params import operations as params

    params.set_value(w["county"], "scope.internal_first_days", 3)
    item = item_with(w, "先党内后党外的换届公告", internal_first=True)
    assert item.visible_scope == "party_wide"
    assert ids(search(None, "换届公告")) == set()
    assert ids(search(w["member"], "换届公告")) == {item.id}
    assert tokens.PUBLIC_TOKEN not in db.session.get(SearchDocument, item.id).tokens
    item.widen_at = datetime.now(UTC) - timedelta(seconds=1)
    assert items.widen_scopes() == 1
    db.session.commit()
    assert tokens.PUBLIC_TOKEN in db.session.get(SearchDocument, item.id).tokens
    assert ids(search(None, "换届公告")) == {item.id}
    assert ids(search(None, "换届公告", within=w["county"])) == {item.id}
    # a signed-in person without a role sees what the public sees
    assert ids(search(w["other_member"], "换届公告")) == {item.id}


def test_snippets_keep_full_width_punctuation_and_mark_every_match(w):
    fees = item_with(
        w,
        "根据《党章》规定，本季度应缴党费１２００元；实缴ＡＢＣ党费：１２００元（全额）。",
        title="党费收缴情况",
    )
    found = search(None, "党费")
    excerpt = found.excerpts[fees.id]
    # the text as written: full-width punctuation and digits, not the index's normalised copy
    assert "《党章》规定，" in excerpt.text and "；" in excerpt.text and "（全额）" in excerpt.text
    assert "１２００" in excerpt.text and "1200" not in excerpt.text
    assert str(excerpt.html).count("<mark>党费</mark>") == 2
    assert found.snippets[fees.id] == excerpt.text  # the API's plain snippet
    # a normalised match (half-width, lower case) marks the characters as written
    assert "<mark>ＡＢＣ</mark>" in str(search(None, "abc").excerpts[fees.id].html)
    assert "<mark>１２００元</mark>" in str(search(None, "1200元").excerpts[fees.id].html)
    assert search_ops.highlight("党费收缴情况", found.runs) == "<mark>党费</mark>收缴情况"


def test_snippets_are_escaped_around_the_marks(w):
    item = item_with(w, "说明：a < b & 党费 > 0，见<附件>。")
    html = str(search(None, "党费").excerpts[item.id].html)
    assert "a &lt; b &amp; <mark>党费</mark> &gt; 0，见" in html and "<附件>" not in html


def test_snippets_show_the_readers_language_only(w):
    both = item_with(
        w,
        "本季度党费已全部收齐。",
        title="党费收缴情况",
        en="Party dues for the quarter were collected in full.",
    )
    chinese_only = item_with(w, "党费使用情况说明。", title="党费使用")
    zh = search(None, "党费", locale="zh_Hans_CN").excerpts
    assert zh[both.id].text == "本季度党费已全部收齐。" and zh[both.id].lang is None
    assert "Party" not in zh[both.id].text  # no English inside a Chinese snippet
    en = search(None, "dues", locale="en").excerpts
    assert en[both.id].text == "Party dues for the quarter were collected in full."
    assert "<mark>dues</mark>" in str(en[both.id].html) and "党费" not in en[both.id].text
    # a Chinese word found by an English reader: the Chinese text, marked as Chinese
    en_zh = search(None, "党费", locale="en").excerpts
    assert en_zh[chinese_only.id].lang == "zh-Hans-CN"
    assert en_zh[chinese_only.id].text == "党费使用情况说明。"
    assert en_zh[both.id].text.startswith("Party dues") and en_zh[both.id].lang is None
    # found through the other language's text: the reader's text, without marks
    assert "<mark>" not in str(search(None, "dues", locale="zh_Hans_CN").excerpts[both.id].html)


# --- keeping the index in step ---------------------------------------------------------------


def test_an_amendment_replaces_the_indexed_text(w):
    item = item_with(w, "本季度实缴党费1200元。")
    items.request_amendment(
        item,
        actor=w["editor"],
        bodies={"zh_Hans_CN": "更正：本季度实缴党费1150元。"},
        explanation="原公布数字有误",
    )
    db.session.commit()
    assert ids(search(None, "1200元")) == {item.id}  # the public still sees version 1
    items.decide_amendment(item, actor=w["bureau_reviewer"], approve=True)
    db.session.commit()
    assert search(None, "1200元").total == 0
    assert ids(search(None, "1150元")) == {item.id}
    assert ids(search(None, "更正")) == {item.id}


def test_revoked_and_closed_items_stay_searchable(w):
    """A revoked item stays readable with its revocation notice (PUB-7), so it stays findable."""
    revoked = item_with(w, "换届选举公示")
    items.request_revocation(revoked, actor=w["admin"], explanation="该事项已由上级统一公开")
    items.decide_revocation(revoked, actor=w["bureau_reviewer"], approve=True)
    db.session.commit()
    assert revoked.state == "revoked"
    assert ids(search(None, "换届")) == {revoked.id}
    notice = item_with(w, "候选人公示", is_notice=True, notice_days=7)
    notice.notice_ends_at = datetime.now(UTC) - timedelta(seconds=1)
    items.close_notices()
    db.session.commit()
    assert notice.state == "closed"
    assert ids(search(None, "候选人")) == {notice.id}


def test_a_rolled_back_publication_leaves_no_document(w):
    item = items.create(w["unit"], plan(bodies={"zh_Hans_CN": "回滚党费"}), actor=w["editor"])
    db.session.commit()
    item.state = "published"
    search_ops.index_item(item)
    assert search(w["bureau_reviewer"], "回滚").total == 1
    db.session.rollback()
    assert search(w["bureau_reviewer"], "回滚").total == 0


def test_deleting_an_item_removes_its_document_and_index_entry(w):
    first = make_item(w["unit"], "党费旧文")
    db.session.commit()
    db.session.expunge(first.current_version)
    db.session.expunge(first)
    db.session.execute(Item.__table__.update().values(current_version_id=None))
    db.session.execute(ItemVersion.__table__.delete())
    db.session.execute(Item.__table__.delete())
    db.session.commit()
    assert db.session.scalar(select(SearchDocument.item_id)) is None
    # a new item may get the same id (SQLite reuses it): the old words must not find it
    second = make_item(w["unit"], "换届新文")
    db.session.commit()
    assert search(None, "党费").total == 0
    assert ids(search(None, "换届")) == {second.id}
    assert first.id is not None


def test_reindex_rebuilds_every_document(w, app):
    fees = item_with(w, "党费")
    item_with(w, "换届")
    make_item(w["unit"], "草稿党费", state="draft")
    db.session.execute(SearchDocument.__table__.delete())
    db.session.commit()
    assert search(None, "党费").total == 0
    result = app.test_cli_runner().invoke(main, ["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "2 item(s) indexed" in result.output
    db.session.expire_all()
    assert ids(search(None, "党费")) == {fees.id}
    assert search(None, "换届").total == 1


def test_the_full_text_index_exists_in_the_database(app):
    bind = db.session.get_bind()
    names = inspect(bind).get_table_names()
    if bind.dialect.name == "sqlite":
        assert "search_fts" in names
        triggers = db.session.scalars(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
            {"t": "search_documents"},
        ).all()
        assert len(triggers) == 3
    else:
        columns = {c["name"] for c in inspect(bind).get_columns("search_documents")}
        assert "tsv" in columns
        assert "ix_search_documents_tsv" in {
            i["name"] for i in inspect(bind).get_indexes("search_documents")
        }


# --- budgets ---------------------------------------------------------------------------------


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, conn, cursor, statement, *args, **kwargs):
        self.count += 1


@pytest.fixture
def count_queries(app):
    engine = db.session.get_bind()
    counter = QueryCounter()
    event.listen(engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine, "before_cursor_execute", counter)


@pytest.mark.parametrize("searcher", [None, "member"])
def test_the_number_of_statements_does_not_grow_with_the_matches(w, count_queries, searcher):
    user = w[searcher] if searcher else None

    def statements(query: str) -> int:
        db.session.expire_all()
        assert w["county"].path and (user is None or user.id)  # loaded by the view
        count_queries.count = 0
        result = search(user, query, within=w["county"], per_page=50)
        shown = [(i.organisation.code, i.title("zh_Hans_CN")) for i in result.items]
        assert len(shown) == result.total == (1 if query == "换届" else 30)
        return count_queries.count

    make_item(w["unit"], "换届")
    for n in range(30):
        make_item(w["unit"], f"党费{n}")
    db.session.commit()
    one, many = statements("换届"), statements("党费")
    assert one == many
    # the disabled organisations, count + page (PostgreSQL: + no parallel workers, the highest
    # id), + the viewer's roles and organisations
    base = 3 if db.session.get_bind().dialect.name == "sqlite" else 5
    assert one == base + (0 if user is None else 2)


def test_a_broad_query_ranks_the_newest_window_and_says_so(w, monkeypatch):
    monkeypatch.setattr(search_ops, "RESULT_WINDOW", 5)
    monkeypatch.setattr(tokens, "BLOCK_SHIFT", 0)  # PostgreSQL: blocks of 1, 2, 4 … item ids
    made = [make_item(w["unit"], "党费" * (1 + n % 3)) for n in range(8)]
    make_item(w["unit"], "党费", scope="unit")  # invisible matches are not counted
    db.session.commit()
    found = search(None, "党费", per_page=2)
    assert (found.total, found.capped, found.pages) == (5, True, 3)
    window = {i.id for p in (1, 2, 3) for i in search(None, "党费", page=p, per_page=2).items}
    assert window == {i.id for i in made[-5:]}
    narrow = search(None, "党费党费党费")
    assert (narrow.total, narrow.capped) == (2, False)
    # a longer word: the newest documents hold its bigrams but not the word (PostgreSQL checks
    # the substring block by block, for the candidates it reads); the window holds the matches
    decoys = [make_item(w["unit"], "费党，党费") for _ in range(3)]
    db.session.commit()
    longer = search(None, "党费党", per_page=10)
    assert (longer.total, longer.capped) == (5, False)
    assert {i.id for i in longer.items} == {made[n].id for n in (1, 2, 4, 5, 7)}
    assert not {i.id for i in longer.items} & {d.id for d in decoys}


def test_documents_carry_their_blocks_and_the_migration_wrote_the_same(w):
    """PostgreSQL finds the newest matches block by block (core.search.tokens.blocks); the
    migration that gave existing documents their block tokens computes them in SQL."""
    import importlib

    migration = importlib.import_module(
        "core.migrations.versions.20261208_e4b6d8f0a2c1_search_block_tokens"
    )
    county_blocks = importlib.import_module(
        "core.migrations.versions.20261211_a3c5e7f9b1d2_search_county_block_tokens"
    )
    item = item_with(w, "换届选举公告")  # public
    root = item.root_id
    doc = db.session.get(SearchDocument, item.id)
    assert doc.tokens.endswith(
        " "
        + " ".join(
            [
                *tokens.block_tokens(item.id),
                *tokens.block_tokens(item.id, root),
                *tokens.block_tokens(item.id, root, public=True),
                tokens.root_token(root, public=True),
            ]
        )
    )
    assert tokens.block_tokens(2048, 7)[1] == "§7t1x1"
    assert tokens.block_tokens(2048, 7, public=True)[1] == "§7pt1x1"
    for item_id in (1, 1023, 1024, 299_999, 300_000, 9_000_000):
        made = db.session.scalar(
            text(f"SELECT {migration.BLOCKS.replace('item_id', str(item_id))}")
        )
        assert made == " " + " ".join(tokens.block_tokens(item_id))
        for mark, public in (("t", False), ("pt", True)):
            sql = county_blocks._blocks(mark).replace("item_id", str(item_id))
            made = db.session.scalar(text(f"SELECT {sql.replace('county_id', str(root))}"))
            assert made == " " + " ".join(tokens.block_tokens(item_id, root, public=public))
    # the blocks cover every id once, newest first, none more than twice all before it
    for top in (0, 1, 1024, 300_000):
        spans = [(b << (10 + level), (b + 1) << (10 + level)) for level, b in tokens.blocks(top)]
        assert spans == sorted(spans, reverse=True) and spans[-1][0] == 0 and spans[0][1] > top
        assert all(a[0] == b[1] for a, b in itertools.pairwise(spans))
        sizes = [hi - lo for lo, hi in spans]
        assert all(size <= 2 * sum(sizes[:i]) for i, size in enumerate(sizes) if i)
