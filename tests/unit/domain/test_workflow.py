"""What each step does beyond the status: admission, offers, settlement, deadlines, the worker's
decisions. Uses the real 2026 calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.unit.domain.factories import a_case
from weiquan.adapters.holiday_calendar import ChinaWorkdayCalendar
from weiquan.domain import workflow as wf
from weiquan.domain.accounts import Actor, Role
from weiquan.domain.calendar import end_of_day
from weiquan.domain.cases import Claim, ClaimKind, InadmissibleGround, OfferState, Purpose
from weiquan.domain.errors import Conflict, PermissionDenied, ValidationFailed
from weiquan.domain.lifecycle import Action, CaseStatus

CAL = ChinaWorkdayCalendar()
POLICY = wf.DeadlinePolicy()
ALICE = Actor(Role.CONSUMER, "alice")
SHOP = Actor(Role.MERCHANT, "staff")
MEDIATOR = Actor(Role.MEDIATOR, "med")


def beijing(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour - 8, tzinfo=UTC)


def submitted(at: datetime, **overrides: object) -> object:
    case = a_case(**overrides)
    wf.submit(case, actor=ALICE, at=at, cal=CAL, policy=POLICY)
    return case


def test_submission_is_admitted_and_the_merchant_gets_three_working_days() -> None:
    case = a_case()
    wf.submit(case, actor=ALICE, at=beijing(2026, 2, 12), cal=CAL, policy=POLICY)
    assert case.status is CaseStatus.NEGOTIATION
    # Thu 12 Feb: Fri 13, Sat 14 (调休) and Tue 24 Feb after the Spring Festival.
    assert case.deadlines.reply_due_at == end_of_day(date(2026, 2, 24))
    assert [e.action for e in case.new_events] == [Action.SUBMIT, Action.ADMIT]
    assert case.new_events[1].actor.rule == "admission:暂行办法15"


@pytest.mark.parametrize(
    ("overrides", "ground"),
    [
        ({"purpose": Purpose.BUSINESS}, InadmissibleGround.NOT_CONSUMPTION),
        ({"handled_elsewhere": True}, InadmissibleGround.HANDLED_ELSEWHERE),
        ({"noticed_on": date(2023, 11, 24)}, InadmissibleGround.TIME_BARRED),
    ],
)
def test_inadmissible_complaints_are_declared_so_with_the_ground(
    overrides: dict[str, object], ground: InadmissibleGround
) -> None:
    case = a_case(**overrides)
    wf.submit(case, actor=ALICE, at=beijing(2026, 11, 25), cal=CAL, policy=POLICY)
    assert case.status is CaseStatus.INADMISSIBLE
    assert case.inadmissible_ground is ground


def test_harm_known_exactly_three_years_ago_is_still_in_time() -> None:
    case = a_case(noticed_on=date(2023, 11, 25))
    wf.submit(case, actor=ALICE, at=beijing(2026, 11, 25), cal=CAL, policy=POLICY)
    assert case.status is CaseStatus.NEGOTIATION


def test_a_harm_date_in_the_future_is_refused() -> None:
    with pytest.raises(ValidationFailed) as info:
        wf.submit(
            a_case(noticed_on=date(2026, 12, 1)),
            actor=ALICE,
            at=beijing(2026, 11, 25),
            cal=CAL,
            policy=POLICY,
        )
    assert info.value.field == "noticed_on"


def test_a_reply_deadline_beyond_the_calendar_is_left_open_with_a_reason_not_guessed() -> None:
    case = a_case()
    wf.submit(case, actor=ALICE, at=beijing(2026, 12, 30), cal=CAL, policy=POLICY)
    assert case.status is CaseStatus.NEGOTIATION
    assert case.deadlines.reply_due_at is None
    assert "2027" in case.deadlines.note


def test_mediation_ends_at_the_earlier_of_45_working_days_and_60_days() -> None:
    case = submitted(beijing(2026, 7, 31))
    wf.escalate(
        case, actor=ALICE, at=beijing(2026, 8, 3), reason="商家不同意", cal=CAL, policy=POLICY
    )
    assert case.deadlines.mediation_due_at == end_of_day(date(2026, 10, 8))
    payload = case.new_events[-1].payload
    assert payload["mediation_due_by_working_days"].startswith("2026-10-11")  # end of 10 Oct
    assert payload["mediation_due_by_calendar_days"].startswith("2026-10-09")  # end of 8 Oct


def test_an_accepted_offer_settles_the_case_with_a_fulfilment_deadline() -> None:
    case = submitted(beijing(2026, 11, 2))
    offer = wf.make_offer(
        case,
        actor=SHOP,
        at=beijing(2026, 11, 3),
        offer_id="o1",
        terms=(Claim(ClaimKind.REFUND, 29900),),
        note="全额退款",
        fulfil_within_days=7,
    )
    assert case.merchant_replied_at is not None
    wf.accept_offer(case, actor=ALICE, at=beijing(2026, 11, 4), offer_id=offer.id, cal=CAL)
    assert case.status is CaseStatus.SETTLED
    assert offer.state is OfferState.ACCEPTED
    assert case.deadlines.fulfilment_due_at == end_of_day(date(2026, 11, 11))


def test_a_superseded_offer_can_no_longer_be_accepted() -> None:
    case = submitted(beijing(2026, 11, 2))
    first = wf.make_offer(
        case,
        actor=SHOP,
        at=beijing(2026, 11, 3),
        offer_id="o1",
        terms=(Claim(ClaimKind.REFUND, 10000),),
        note="",
    )
    wf.make_offer(
        case,
        actor=SHOP,
        at=beijing(2026, 11, 3, 11),
        offer_id="o2",
        terms=(Claim(ClaimKind.REFUND, 20000),),
        note="",
    )
    assert first.state is OfferState.SUPERSEDED
    with pytest.raises(Conflict):
        wf.accept_offer(case, actor=ALICE, at=beijing(2026, 11, 4), offer_id="o1", cal=CAL)


def test_rejecting_an_offer_in_negotiation_starts_mediation() -> None:
    case = submitted(beijing(2026, 8, 3))
    wf.make_offer(
        case,
        actor=SHOP,
        at=beijing(2026, 8, 4),
        offer_id="o1",
        terms=(Claim(ClaimKind.REFUND, 100),),
        note="",
    )
    wf.reject_offer(
        case,
        actor=ALICE,
        at=beijing(2026, 8, 5),
        offer_id="o1",
        reason="太少",
        cal=CAL,
        policy=POLICY,
    )
    assert case.status is CaseStatus.MEDIATION
    assert case.deadlines.mediation_due_at is not None
    assert case.deadlines.reply_due_at is None


def test_both_parties_accepting_a_proposal_concludes_an_agreement() -> None:
    case = submitted(beijing(2026, 11, 2))
    wf.escalate(case, actor=ALICE, at=beijing(2026, 11, 3), reason="x", cal=CAL, policy=POLICY)
    wf.assign_mediator(case, actor=MEDIATOR, at=beijing(2026, 11, 3), mediator_id="med")
    proposal = wf.make_offer(
        case,
        actor=MEDIATOR,
        at=beijing(2026, 11, 4),
        offer_id="p1",
        terms=(Claim(ClaimKind.REFUND, 15000),),
        note="各让一步",
    )
    wf.accept_settlement(case, actor=ALICE, at=beijing(2026, 11, 5), offer_id="p1", cal=CAL)
    assert case.status is CaseStatus.MEDIATION
    with pytest.raises(Conflict):
        wf.accept_settlement(case, actor=ALICE, at=beijing(2026, 11, 5), offer_id="p1", cal=CAL)
    wf.accept_settlement(case, actor=SHOP, at=beijing(2026, 11, 6), offer_id="p1", cal=CAL)
    assert case.status is CaseStatus.AGREEMENT
    assert set(proposal.accepted_by) == {"consumer", "merchant"}
    assert case.new_events[-1].actor.rule == "both_parties_accepted"


def test_only_the_parties_accept_a_proposal() -> None:
    case = submitted(beijing(2026, 11, 2))
    wf.escalate(case, actor=ALICE, at=beijing(2026, 11, 3), reason="x", cal=CAL, policy=POLICY)
    wf.make_offer(
        case,
        actor=MEDIATOR,
        at=beijing(2026, 11, 4),
        offer_id="p1",
        terms=(Claim(ClaimKind.REFUND, 15000),),
        note="",
    )
    with pytest.raises(PermissionDenied):
        wf.accept_settlement(case, actor=MEDIATOR, at=beijing(2026, 11, 5), offer_id="p1", cal=CAL)


def test_referral_needs_the_merchants_region() -> None:
    case = a_case(CaseStatus.MEDIATION_FAILED, region_code="")
    with pytest.raises(ValidationFailed):
        wf.refer_or_issue_dossier(
            case, actor=MEDIATOR, at=beijing(2026, 11, 5), reason="x", refer=True
        )


class TestDueSteps:
    def test_a_silent_merchant_past_the_reply_deadline_is_escalated(self) -> None:
        case = submitted(beijing(2026, 11, 25))
        due = case.deadlines.reply_due_at
        assert wf.due_step(case, due - timedelta(seconds=1), POLICY) is None
        step = wf.due_step(case, due, POLICY)
        assert step is not None
        assert (step.action, step.rule) == (Action.ESCALATE, "merchant_silent_past_reply_deadline")

    def test_a_merchant_who_replied_is_not_escalated_for_silence(self) -> None:
        case = submitted(beijing(2026, 11, 25))
        wf.reply(case, actor=SHOP, at=beijing(2026, 11, 26), text="正在核实")
        assert wf.due_step(case, case.deadlines.reply_due_at, POLICY) is None

    def test_mediation_past_its_deadline_fails_then_is_referred(self) -> None:
        case = submitted(beijing(2026, 8, 3))
        wf.escalate(case, actor=ALICE, at=beijing(2026, 8, 3), reason="x", cal=CAL, policy=POLICY)
        late = case.deadlines.mediation_due_at
        assert late == end_of_day(date(2026, 10, 8))
        step = wf.due_step(case, late, POLICY)
        assert step is not None
        wf.take_due_step(case, step, now=late, cal=CAL, policy=POLICY)
        assert case.status is CaseStatus.MEDIATION_FAILED
        follow_up = wf.due_step(case, late, POLICY)
        assert follow_up is not None
        wf.take_due_step(case, follow_up, now=late, cal=CAL, policy=POLICY)
        assert case.status is CaseStatus.REFERRED
        assert case.new_events[-1].actor == Actor.system("failed_mediation_follow_up")

    def test_without_a_region_failed_mediation_ends_in_a_dossier(self) -> None:
        case = a_case(CaseStatus.MEDIATION_FAILED, region_code="")
        step = wf.due_step(case, beijing(2026, 11, 25), POLICY)
        assert step is not None
        assert step.action is Action.ISSUE_DOSSIER

    def test_an_unconfirmed_settlement_reopens_into_mediation(self) -> None:
        case = submitted(beijing(2026, 11, 2))
        wf.make_offer(
            case,
            actor=SHOP,
            at=beijing(2026, 11, 3),
            offer_id="o1",
            terms=(Claim(ClaimKind.REFUND, 100),),
            note="",
            fulfil_within_days=3,
        )
        wf.accept_offer(case, actor=ALICE, at=beijing(2026, 11, 3), offer_id="o1", cal=CAL)
        due = case.deadlines.fulfilment_due_at
        step = wf.due_step(case, due, POLICY)
        assert step is not None
        wf.take_due_step(case, step, now=due, cal=CAL, policy=POLICY)
        assert case.status is CaseStatus.MEDIATION

    def test_schedule_points_the_worker_at_the_earliest_deadline(self) -> None:
        case = submitted(beijing(2026, 11, 25))
        wf.schedule(case, POLICY)
        assert case.deadlines.next_check_at == case.deadlines.reply_due_at
        wf.reply(case, actor=SHOP, at=beijing(2026, 11, 26), text="ok")
        wf.schedule(case, POLICY)
        assert case.deadlines.next_check_at == case.deadlines.negotiation_due_at

    def test_a_closed_case_is_never_due(self) -> None:
        case = a_case(CaseStatus.CLOSED)
        wf.schedule(case, POLICY)
        assert case.deadlines.next_check_at is None
        assert wf.due_step(case, beijing(2026, 12, 25), POLICY) is None


def test_deadline_policy_refuses_nonsense_periods() -> None:
    with pytest.raises(ValidationFailed):
        wf.DeadlinePolicy(reply_working_days=0)
