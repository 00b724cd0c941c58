"""Normalisation: copies that differ only in script, width, case, punctuation or spacing match."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from weiquan.adapters.text.normaliser import content_key, normalise
from weiquan.domain.text_signals import char_shingles, content_characters, fold_text, jaccard


def test_traditional_complaint_has_the_same_key_as_its_simplified_original() -> None:
    simplified = "商家承诺七天内发货，至今没有发货，要求退款。"
    traditional = "商家承諾七天內發貨，至今沒有發貨，要求退款。"
    assert content_key(traditional) == content_key(simplified)


def test_full_width_letters_and_digits_fold_to_ascii_lower_case() -> None:
    assert normalise("订单号ＡＢＣ１２３") == "订单号abc123"


def test_chinese_and_ascii_punctuation_variants_fold_to_one_form() -> None:
    assert normalise("真的吗？！　好吧。") == normalise("真的吗?! 好吧.")
    assert normalise("《消费者权益保护法》“退一赔三”") == '<消费者权益保护法>"退一赔三"'


def test_repeated_marks_collapse_so_emphasis_does_not_disguise_a_copy() -> None:
    assert fold_text("太差了！！！！……") == "太差了!."


def test_zero_width_characters_inserted_between_letters_are_removed() -> None:
    assert content_key("傻\u200b逼") == "傻逼"


def test_content_key_drops_spacing_symbols_and_emoji() -> None:
    assert content_key("差 评 ★★ 😡 退-款") == "差评退款"


def test_text_shorter_than_the_shingle_size_is_its_own_shingle() -> None:
    assert char_shingles("还行", size=3) == {"还行"}
    assert char_shingles("", size=3) == set()
    assert char_shingles("退款退款", size=3) == {"退款退", "款退款"}


def test_jaccard_of_empty_sets_is_zero_not_one() -> None:
    assert jaccard(set(), set()) == 0.0
    assert jaccard({"a", "b"}, {"b", "c"}) == 1 / 3


@given(st.text(max_size=60))
def test_folding_is_idempotent(text: str) -> None:
    assert fold_text(fold_text(text)) == fold_text(text)


@given(st.text(max_size=60))
def test_content_characters_are_only_letters_and_digits(text: str) -> None:
    assert all(ch.isalnum() for ch in content_characters(text))
