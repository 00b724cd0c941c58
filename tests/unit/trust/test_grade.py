"""The credit grade formula on hand-computed examples (docs/credit-grade.md)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from weiquan.domain.errors import ValidationFailed
from weiquan.domain.trust.grade import (
    COMPONENTS,
    CaseOutcome,
    Grade,
    GradePolicy,
    GradeSums,
    compute,
    grade_for,
)


def perfect_case(n: int = 0) -> CaseOutcome:
    return CaseOutcome(
        case_id=f"c{n}",
        merchant_id="m",
        replied=True,
        reply_hours=2.0,
        resolved=True,
        agreements=1,
        agreements_kept=1,
        rating=5,
        days_to_close=5.0,
    )


def sums_of(*outcomes: CaseOutcome) -> GradeSums:
    sums = GradeSums("m")
    for outcome in outcomes:
        sums.add_case(outcome)
    return sums


def test_a_merchant_with_no_cases_scores_the_prior_and_is_graded_caution() -> None:
    # 100 × (.2×.8 + .1×.5 + .25×.6 + .2×.9 + .15×.6 + .1×.8) = 71.0
    result = compute(GradeSums("m"))
    assert result.score == 71.0
    assert result.grade is Grade.CAUTION
    assert result.few_cases


def test_three_perfect_cases_stay_near_the_prior() -> None:
    # Each rate is (3 + 10 × prior) / 13; pledges have no observations and stay at 0.8:
    # response 11/13, speed 8/13, resolution 9/13, fulfilment 12/13, satisfaction 9/13.
    # 100 × (.2×11 + .1×8 + .25×9 + .2×12 + .15×9)/13 + 8 = 100 × 9.0/13 + 8 = 77.23…
    result = compute(sums_of(*(perfect_case(i) for i in range(3))))
    assert result.score == 77.2
    assert result.grade is Grade.CAUTION


def test_three_thousand_perfect_cases_earn_a_recommendation() -> None:
    sums = GradeSums(
        "m",
        cases=3000,
        replied=3000,
        speed_milli=3_000_000,
        resolved=3000,
        agreements=3000,
        agreements_kept=3000,
        rating_sum=15000,
        ratings=3000,
    )
    # Each observed rate is 1: (3000 + 10p) / 3010; pledges stay at 0.8.
    expected = (
        100
        * sum(
            w * (3000 + 10 * p) / 3010
            for w, p in [(0.2, 0.8), (0.1, 0.5), (0.25, 0.6), (0.2, 0.9), (0.15, 0.6)]
        )
        + 8
    )
    result = compute(sums)
    assert result.score == round(expected, 1) == 97.9
    assert result.grade is Grade.RECOMMENDED
    assert not result.few_cases


def test_the_same_bad_rate_weighs_more_with_more_cases() -> None:
    silent = CaseOutcome(
        case_id="c",
        merchant_id="m",
        replied=False,
        reply_hours=None,
        resolved=False,
        agreements=0,
        agreements_kept=0,
        rating=1,
        days_to_close=30.0,
    )
    few = compute(sums_of(*(silent for _ in range(3))))
    many = compute(sums_of(*(silent for _ in range(300))))
    assert few.grade is Grade.CAUTION  # three cases cannot sink a shop
    assert many.grade is Grade.NOT_RECOMMENDED
    assert many.score < few.score


def test_a_verified_violation_costs_ten_points_up_to_forty() -> None:
    clean = compute(GradeSums("m")).score
    assert compute(GradeSums("m", violations=1)).score == clean - 10
    assert compute(GradeSums("m", violations=9)).score == clean - 40


def test_reply_speed_credit_is_full_within_a_day_and_none_after_three() -> None:
    def speed(hours: float | None) -> int:
        outcome = CaseOutcome(
            case_id="c",
            merchant_id="m",
            replied=hours is not None,
            reply_hours=hours,
            resolved=False,
            agreements=0,
            agreements_kept=0,
            rating=None,
            days_to_close=None,
        )
        return outcome.speed_milli

    assert speed(3) == 1000
    assert speed(24) == 1000
    assert speed(48) == 500
    assert speed(72) == 0
    assert speed(None) == 0


def test_the_breakdown_explains_every_component_and_the_penalty() -> None:
    result = compute(GradeSums("m", cases=1, replied=1, violations=1))
    lines = result.why()
    assert any(line.startswith("答复率：100.0%（1 次观察）") for line in lines)
    assert any("扣 10 分" in line for line in lines)
    assert any("少于 30 件" in line for line in lines)
    assert sum(line.points for line in result.lines) - result.penalty == pytest.approx(
        result.score, abs=0.05
    )


def test_grade_thresholds() -> None:
    assert grade_for(80.0) is Grade.RECOMMENDED
    assert grade_for(79.9) is Grade.CAUTION
    assert grade_for(60.0) is Grade.CAUTION
    assert grade_for(59.9) is Grade.NOT_RECOMMENDED


@given(
    st.lists(
        st.builds(
            CaseOutcome,
            case_id=st.just("c"),
            merchant_id=st.just("m"),
            replied=st.booleans(),
            reply_hours=st.none() | st.floats(0, 500),
            resolved=st.booleans(),
            agreements=st.integers(0, 2),
            agreements_kept=st.integers(0, 2),
            rating=st.none() | st.integers(1, 5),
            days_to_close=st.none() | st.floats(0, 400),
        ),
        max_size=40,
    ),
    st.integers(0, 5),
)
def test_the_score_always_lies_between_0_and_100(
    outcomes: list[CaseOutcome], violations: int
) -> None:
    sums = sums_of(*outcomes)
    sums.violations = violations
    assert 0 <= compute(sums).score <= 100


def test_adding_cases_one_by_one_equals_adding_them_together() -> None:
    outcomes = [perfect_case(i) for i in range(5)]
    step = GradeSums("m")
    for outcome in outcomes:
        step.add_case(outcome)
    assert step == sums_of(*outcomes)


def test_removing_a_case_undoes_adding_it() -> None:
    kept, malicious = perfect_case(1), perfect_case(2)
    sums = sums_of(kept, malicious)
    sums.remove_case(malicious, with_rating=True)
    assert sums == sums_of(kept)


def test_a_deployment_policy_with_other_weights_changes_the_score_by_hand_computed_amounts() -> (
    None
):
    # Only response and resolution count, half each: 100 × (.5×.8 + .5×.6) = 70.0 with no cases.
    weights = {
        "response": 0.5,
        "speed": 0,
        "resolution": 0.5,
        "fulfilment": 0,
        "satisfaction": 0,
        "pledges": 0,
    }
    policy = GradePolicy().with_weights(weights)
    assert compute(GradeSums("m"), policy).score == 70.0
    # One perfect case with prior strength 10: (1 + 10×.8)/11 and (1 + 10×.6)/11.
    expected = round(100 * (0.5 * 9 / 11 + 0.5 * 7 / 11), 1)
    assert compute(sums_of(perfect_case()), policy).score == expected


def test_a_weaker_prior_lets_few_cases_move_the_score_further_and_the_why_says_so() -> None:
    published = compute(sums_of(perfect_case()))
    weak = compute(sums_of(perfect_case()), GradePolicy(prior_weight=2))
    assert weak.score > published.score
    assert "加权 2 次" in weak.why()[0]
    assert "加权 10 次" in published.why()[0]


def test_grade_thresholds_come_from_the_policy() -> None:
    strict = GradePolicy(recommended_from=95, caution_from=75)
    assert grade_for(90, strict) is Grade.CAUTION
    assert grade_for(90) is Grade.RECOMMENDED


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: GradePolicy().with_weights({"response": 0.5}), "grade_weights"),
        (lambda: GradePolicy().with_weights({"popularity": 0.1}), "grade_weights"),
        (lambda: GradePolicy().with_weights({"response": -0.1, "speed": 0.4}), "grade_weights"),
        (lambda: GradePolicy(prior_weight=0), "grade_prior_weight"),
        (lambda: GradePolicy(recommended_from=50, caution_from=60), "grade_thresholds"),
        (lambda: GradePolicy(components=COMPONENTS[:5]), "grade_weights"),
    ],
)
def test_an_inconsistent_policy_is_refused_naming_the_setting(make: object, field: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        make()  # type: ignore[operator]
    assert info.value.field == field
