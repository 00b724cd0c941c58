"""The statute knowledge base: every cited article exists, flags agree, search folds scripts."""

from __future__ import annotations

import pytest

from weiquan.adapters.statutes import StatuteBook, normalise, statute_book
from weiquan.domain.errors import NotFound
from weiquan.domain.rules.articles import ALL_ARTICLES, LAW_SHORT_NAMES_ZH


@pytest.fixture(scope="module")
def book() -> StatuteBook:
    return statute_book()


@pytest.mark.parametrize("ref", ALL_ARTICLES, ids=[f"{a.law}/{a.article}" for a in ALL_ARTICLES])
def test_every_article_a_finding_can_cite_is_in_the_knowledge_base(book: StatuteBook, ref) -> None:
    article = book.get(ref.law, ref.article)
    assert article.unverified == ref.unverified
    assert article.summary_zh
    assert article.summary_en


def test_every_law_the_engine_names_is_in_the_knowledge_base(book: StatuteBook) -> None:
    assert set(LAW_SHORT_NAMES_ZH) <= {a.law for a in book.articles}


def test_every_article_has_a_source_and_either_a_date_or_a_flag_saying_it_is_unknown(
    book: StatuteBook,
) -> None:
    for article in book.articles:
        assert article.source in {"LRB", "CC", "P"}
        assert article.source_ref
        assert article.effective_from is not None or article.dates_unverified


def test_the_unverified_articles_are_the_ones_the_research_notes_mark(book: StatuteBook) -> None:
    flagged = {(a.law, a.article) for a in book.articles if a.unverified}
    assert flagged == {("monopoly_agreement_provisions", "safe-harbour"), ("ip_online_reply", "2")}


def test_an_unknown_article_is_not_found(book: StatuteBook) -> None:
    with pytest.raises(NotFound):
        book.get("consumer_rights_law", "999")


def test_traditional_and_simplified_queries_find_the_same_articles(book: StatuteBook) -> None:
    simplified = book.search("七日无理由退货")
    traditional = book.search("七日無理由退貨")
    assert simplified == traditional
    assert simplified[0].law == "consumer_rights_law"
    assert simplified[0].article == "25"


def test_a_traditional_query_about_fraud_finds_the_triple_damages_article(
    book: StatuteBook,
) -> None:
    found = [(a.law, a.article) for a in book.search("消費者 欺詐 三倍")]
    assert ("consumer_rights_law", "55(1)") in found


def test_full_width_letters_and_case_are_folded(book: StatuteBook) -> None:
    assert book.search("ＬＰＲ") == book.search("lpr")
    assert [a.article for a in book.search("lpr")] == ["16"]


def test_an_article_number_query_finds_the_article_and_its_paragraphs(book: StatuteBook) -> None:
    found = [(a.law, a.article) for a in book.search("消保法 第55条")]
    assert found == [("consumer_rights_law", "55(1)"), ("consumer_rights_law", "55(2)")]


def test_a_differently_worded_chinese_phrase_still_matches(book: StatuteBook) -> None:
    assert ("consumer_rights_law", "25") in [(a.law, a.article) for a in book.search("7天無理由")]


def test_english_words_match_only_as_written(book: StatuteBook) -> None:
    assert [(a.law, a.article) for a in book.search("counter-notice")] == [("ecommerce_law", "43")]
    assert book.search("zzz qqq") == []


def test_an_empty_query_browses_the_whole_book(book: StatuteBook) -> None:
    assert len(book.search("", limit=1000)) == len(book.articles)


def test_normalise_folds_traditional_full_width_and_case() -> None:
    assert normalise("消費者ＡＢＣ") == "消费者abc"
