"""Near-duplicate index: copy-paste campaigns are grouped, unrelated complaints are not."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash

from weiquan.adapters.text.near_duplicates import (
    MinHasher,
    NearDuplicateIndex,
    group_pairs,
    shingle_hashes,
)
from weiquan.domain.errors import Conflict, ValidationFailed

CAMPAIGN = {
    "c1": "我于11月3日在某旗舰店购买的电饭煲至今未发货，客服一直说马上发，要求全额退款。",
    "c2": "我於11月3日在某旗艦店購買的電飯煲至今未發貨，客服一直說馬上發，要求全額退款！！",
    "c3": "我于11月5日在某旗舰店购买的电饭煲至今未发货，客服一直说马上发，要求全额退款并赔偿。",
}
UNRELATED = {
    "u1": "收到的手机屏幕有划痕，与页面描述的全新不符，要求退货退款。",
    "u2": "酒店房间与预订的房型不符，前台拒绝更换，希望平台介入。",
}


@pytest.fixture
def index() -> NearDuplicateIndex:
    built = NearDuplicateIndex()
    built.add_many({**CAMPAIGN, **UNRELATED}.items())
    return built


def test_a_copy_paste_campaign_is_grouped_and_unrelated_complaints_stay_apart(
    index: NearDuplicateIndex,
) -> None:
    assert index.groups() == [["c1", "c2", "c3"]]


def test_a_new_lightly_edited_copy_finds_the_stored_originals_most_similar_first(
    index: NearDuplicateIndex,
) -> None:
    found = index.query("我于11月3日在某旗舰店购买的电饭煲至今未发货,客服一直说马上发,要求全额退款")
    assert [match.key for match in found][:2] == ["c1", "c2"]
    assert found[0].similarity == 1.0
    assert all(match.similarity >= index.threshold for match in found)


def test_a_different_complaint_finds_nothing(index: NearDuplicateIndex) -> None:
    assert index.query("衣服尺码严重偏小，按尺码表买的，申请换货。") == []


def test_similar_to_key_leaves_out_the_text_itself(index: NearDuplicateIndex) -> None:
    assert {match.key for match in index.similar_to_key("c1")} == {"c2", "c3"}


def test_a_key_cannot_be_stored_twice(index: NearDuplicateIndex) -> None:
    with pytest.raises(Conflict):
        index.add("c1", "另一段文字")


def test_text_without_letters_or_digits_is_not_stored_or_matched() -> None:
    index = NearDuplicateIndex()
    assert index.add("empty", "！！！……") is False
    assert len(index) == 0
    assert index.query("？？？") == []


def test_the_index_grows_past_its_initial_signature_capacity() -> None:
    index = NearDuplicateIndex()
    stored = index.add_many((str(i), f"第{i}号订单的商品{i * 7919}有质量问题") for i in range(1500))
    assert stored == len(index) == 1500
    assert index.query("第1499号订单的商品11870381有质量问题")[0].key == "1499"


def test_a_threshold_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        NearDuplicateIndex(threshold=1.5)


def test_shingle_hashes_are_stable_distinct_and_32_bit() -> None:
    first = shingle_hashes("退款退款退款")
    assert first.dtype == np.uint32
    assert list(first) == sorted(set(first))  # unique, as a set of shingles should be
    assert len(first) == 2  # 退款退 and 款退款, each however often it repeats
    assert np.array_equal(first, shingle_hashes("退款退款退款"))


def test_signatures_equal_those_datasketch_computes_from_the_same_shingle_hashes() -> None:
    hasher = MinHasher(num_perm=32, seed=5)
    ours = hasher.minhash("商家拒绝七天无理由退货")
    assert ours is not None
    reference = MinHash(num_perm=32, seed=5, hashfunc=int)
    reference.update_batch(shingle_hashes("商家拒绝七天无理由退货"))
    assert np.array_equal(ours.hashvalues, reference.hashvalues)


def test_groups_are_connected_components_largest_first() -> None:
    pairs = [("b", "c"), ("d", "e"), ("c", "f")]
    assert group_pairs(pairs, ["a", "b", "c", "d", "e", "f"]) == [["b", "c", "f"], ["d", "e"]]
