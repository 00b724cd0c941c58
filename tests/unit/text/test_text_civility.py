"""The civility check flags abusive wording with a neutral hint and leaves civil complaints alone."""

from __future__ import annotations

import pytest

from weiquan.adapters.text.civility import (
    CivilityChecker,
    Lexicon,
    LexiconEntry,
    NgramModel,
    default_checker,
    shipped_lexicon,
    shipped_model,
)
from weiquan.adapters.text.normaliser import content_key
from weiquan.domain.errors import IntegrityViolation
from weiquan.domain.text_signals import CivilityCategory, TermMatch, compose_hint


@pytest.fixture(scope="module")
def checker() -> CivilityChecker:
    return default_checker()


def test_an_insult_aimed_at_the_merchant_is_flagged_with_a_rewording_hint(
    checker: CivilityChecker,
) -> None:
    result = checker.assess("你们这些奸商，收钱不发货！")
    assert result.flagged
    assert CivilityCategory.INSULT in result.categories()
    assert result.hint is not None
    assert "“奸商”可改为“商家”" in result.hint


def test_a_threat_is_flagged_and_the_hint_suggests_a_lawful_deadline(
    checker: CivilityChecker,
) -> None:
    result = checker.assess("再不退钱我就弄死你")
    assert result.flagged
    assert result.categories() == (CivilityCategory.THREAT,)
    assert result.hint is not None
    assert "依法投诉" in result.hint


@pytest.mark.parametrize(
    "statement",
    [
        "我于11月3日下单的电饭煲至今未发货，请尽快发货或全额退款。",
        "请在7个工作日内退款，否则我将向市场监管部门投诉。",
        "我妈的生日礼物迟到了五天，希望给个说法。",
        "滚筒洗衣机用了一周就不转了，售后一直没有上门。",
        "充电器插上 USB 就发烫，存在安全隐患。",
        "谢谢客服的耐心解释，问题已经解决。",
    ],
)
def test_a_polite_complaint_is_not_flagged(checker: CivilityChecker, statement: str) -> None:
    result = checker.assess(statement)
    assert not result.flagged
    assert result.hint is None


def test_traditional_script_and_inserted_symbols_do_not_hide_profanity(
    checker: CivilityChecker,
) -> None:
    result = checker.assess("傻 * 逼客服，他媽的掛我電話")
    assert result.flagged
    assert [match.term for match in result.matches] == ["傻逼", "他妈的"]


def test_one_inflammatory_word_alone_stays_below_the_flag() -> None:
    lexicon_only = CivilityChecker(lexicon=shipped_lexicon(), model=None)
    alone = lexicon_only.assess("东西很垃圾，做工粗糙。")
    together = lexicon_only.assess("垃圾商家，一群骗子")
    assert not alone.flagged
    assert alone.matches
    assert together.flagged


def test_latin_abbreviations_match_only_as_whole_tokens() -> None:
    lexicon = Lexicon([LexiconEntry("cnm", CivilityCategory.PROFANITY, "test")])
    assert lexicon.find(content_key("cnm 发的什么")) != []
    assert lexicon.find(content_key("型号 CNM3000 不对")) == []


def test_the_longest_listed_term_wins_over_a_shorter_one_inside_it() -> None:
    lexicon = Lexicon(
        [
            LexiconEntry("骗子", CivilityCategory.INFLAMMATORY, "test"),
            LexiconEntry("骗子公司", CivilityCategory.INSULT, "test", "该公司"),
        ]
    )
    assert [m.term for m in lexicon.find(content_key("骗子公司"))] == ["骗子公司"]


def test_the_shipped_model_scores_offensive_group_talk_above_a_neutral_sentence() -> None:
    model = shipped_model()
    assert len(model) > 1000
    offensive = model.score(content_key("黑人都是垃圾，滚出中国"))
    neutral = model.score(content_key("今天天气很好，我们去公园散步"))
    assert offensive > 0.8
    assert neutral < 0.2


def test_a_model_file_of_another_format_is_refused() -> None:
    with pytest.raises(IntegrityViolation):
        NgramModel.from_json({"format": "something-else/1", "weights": {}, "bias": 0})


def test_the_model_explains_itself_with_the_ngrams_that_raised_the_score() -> None:
    model = NgramModel(weights={"骗": 2.0, "好": -1.0}, bias=0.0, orders=(1,))
    assert model.strongest(content_key("骗人好")) == ["骗"]


def test_a_model_only_flag_gets_the_general_hint() -> None:
    hint = compose_hint([], model_flagged=True)
    assert hint is not None
    assert "陈述事实" in hint


def test_several_terms_of_one_category_give_one_category_hint() -> None:
    matches = [
        TermMatch("脑残", CivilityCategory.INSULT, "test"),
        TermMatch("智障", CivilityCategory.INSULT, "test"),
    ]
    hint = compose_hint(matches, model_flagged=False)
    assert hint is not None
    assert hint.count("建议把对人的评价换成对事实的描述") == 1
