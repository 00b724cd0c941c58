"""Every event that asks someone to act produces the right notices for the right people, written
in the same transaction as the event (on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.support.notify_receivers import RecordingChannel
from tests.support.world import NOW, PASSWORD, World, complaint
from weiquan.adapters.db.tables_notify import notices
from weiquan.domain.accounts import Principal, Role
from weiquan.domain.cases import Case, Claim, ClaimKind
from weiquan.domain.errors import ValidationFailed
from weiquan.domain.lifecycle import Action
from weiquan.domain.notifications import ChannelName, NoticeKind, NoticeState
from weiquan.services import accounts, cases, notifications, privacy, worker
from weiquan.services.commands import CaseCommand
from weiquan.services.context import Services
from weiquan.services.notify_ports import Channels

K = NoticeKind
Step = Callable[[Services, "Scene"], None]


@dataclass
class Scene:
    world: World
    case: Case
    second_staff: Principal  # another staff account of the Beijing merchant

    def act(self, svc: Services, who: Principal, action: Action, **params: object) -> Case:
        self.case = cases.act(
            svc,
            CaseCommand(self.case.id, action, **params),  # type: ignore[arg-type]
            principal=who,
            now=NOW + timedelta(hours=1),
        )
        return self.case


def _told(svc: Services, case_id: str) -> set[tuple[NoticeKind, str]]:
    return {
        (n.kind, n.recipient_id)
        for n in notifications.case_notices(svc, case_id)
        if n.channel is ChannelName.IN_APP
    }


def _offer(svc: Services, s: Scene) -> None:
    terms = (Claim(ClaimKind.REFUND, 29900),)
    s.act(svc, s.world.merchant_a, Action.MAKE_OFFER, terms=terms, text="全额退款")


def _to_mediation(svc: Services, s: Scene) -> None:
    s.act(svc, s.world.alice, Action.ESCALATE, reason="协商不成")


def _proposal(svc: Services, s: Scene) -> None:
    _to_mediation(svc, s)
    s.act(svc, s.world.mediator, Action.ASSIGN_MEDIATOR)
    terms = (Claim(ClaimKind.REFUND, 20000),)
    s.act(svc, s.world.mediator, Action.PROPOSE_SETTLEMENT, terms=terms, text="退款 200 元")


def _agreement(svc: Services, s: Scene) -> None:
    _proposal(svc, s)
    offer_id = s.case.offers[-1].id
    s.act(svc, s.world.alice, Action.ACCEPT_OFFER, offer_id=offer_id)
    s.act(svc, s.world.merchant_a, Action.ACCEPT_OFFER, offer_id=offer_id)


def _accept_both(svc: Services, s: Scene) -> None:
    offer_id = s.case.offers[-1].id
    s.act(svc, s.world.alice, Action.ACCEPT_SETTLEMENT, offer_id=offer_id)
    s.act(svc, s.world.merchant_a, Action.ACCEPT_SETTLEMENT, offer_id=offer_id)


def _refer(svc: Services, s: Scene) -> None:
    s.act(svc, s.world.mediator, Action.ASSIGN_MEDIATOR)
    s.act(svc, s.world.mediator, Action.RECORD_FAILURE, reason="双方分歧较大", refer=True)


def _silence(svc: Services, s: Scene) -> None:
    worker.sweep(svc, now=NOW + timedelta(days=10))


# (what happens, the steps before it, the step, who is told what: kind → people by name)
CASES: list[tuple[str, Step | None, Step, dict[NoticeKind, set[str]]]] = [
    (
        "a reply tells the consumer",
        None,
        lambda svc, s: s.act(svc, s.world.merchant_a, Action.REPLY, text="已联系快递核实"),
        {K.MERCHANT_REPLIED: {"alice"}},
    ),
    ("an offer tells the consumer", None, _offer, {K.OFFER_MADE: {"alice"}}),
    (
        "a refusal tells the consumer, the other staff and the mediator pool",
        None,
        lambda svc, s: s.act(svc, s.world.merchant_a, Action.REFUSE, reason="不同意退款"),
        {
            K.MERCHANT_REFUSED: {"alice"},
            K.MEDIATION_OPENED: {"merchant-a2"},
            K.MEDIATION_INVITATION: {"mediator", "mediator2"},
        },
    ),
    (
        "an evidence request tells the consumer",
        None,
        lambda svc, s: s.act(svc, s.world.merchant_a, Action.REQUEST_EVIDENCE, text="请上传照片"),
        {K.EVIDENCE_REQUESTED: {"alice"}},
    ),
    (
        "an escalation tells every staff member and the mediator pool",
        None,
        _to_mediation,
        {
            K.MEDIATION_OPENED: {"merchant-a", "merchant-a2"},
            K.MEDIATION_INVITATION: {"mediator", "mediator2"},
        },
    ),
    (
        "a silent merchant's case moved to mediation by the worker tells both sides",
        None,
        _silence,
        {
            K.MEDIATION_OPENED: {"alice", "merchant-a", "merchant-a2"},
            K.MEDIATION_INVITATION: {"mediator", "mediator2"},
        },
    ),
    (
        "accepting the offer tells the merchant's staff",
        _offer,
        lambda svc, s: s.act(
            svc, s.world.alice, Action.ACCEPT_OFFER, offer_id=s.case.offers[-1].id
        ),
        {K.OFFER_ACCEPTED: {"merchant-a", "merchant-a2"}},
    ),
    (
        "a mediator's proposal tells both sides",
        None,
        _proposal,
        {
            K.MEDIATION_OPENED: {"merchant-a", "merchant-a2"},
            K.MEDIATION_INVITATION: {"mediator", "mediator2"},
            K.PROPOSAL_MADE: {"alice", "merchant-a", "merchant-a2"},
        },
    ),
    (
        "an agreement tells both sides",
        _proposal,
        _accept_both,
        {K.AGREEMENT_REACHED: {"alice", "merchant-a", "merchant-a2"}},
    ),
    (
        "a referral tells the region's regulators and both sides",
        _to_mediation,
        _refer,
        {K.CASE_REFERRED: {"reg-beijing", "alice", "merchant-a", "merchant-a2"}},
    ),
]


def _scene(services: Services, world: World) -> Scene:
    second = accounts.create_user(
        services,
        username="merchant-a2",
        password=PASSWORD,
        display_name="merchant-a2",
        role=Role.MERCHANT,
        now=NOW,
        merchant_id=world.merchant_a_id,
    ).principal
    case, _ = cases.file_complaint(
        services, complaint(world.shop_a), principal=world.alice, now=NOW
    )
    return Scene(world, case, second)


def _names(world: World, second: Principal) -> dict[str, str]:
    return {
        p.user_id: p.display_name
        for p in (
            world.alice,
            world.bob,
            world.merchant_a,
            world.merchant_b,
            world.mediator,
            world.mediator2,
            world.regulator_beijing,
            world.regulator_chengdu,
            second,
        )
    }


def test_a_filed_complaint_tells_every_staff_member_of_the_shop_and_nobody_else(
    services: Services, world: World
) -> None:
    scene = _scene(services, world)
    names = _names(world, scene.second_staff)
    told = {(kind, names[who]) for kind, who in _told(services, scene.case.id)}
    assert told == {(K.COMPLAINT_RECEIVED, "merchant-a"), (K.COMPLAINT_RECEIVED, "merchant-a2")}


@pytest.mark.parametrize(("what", "before", "step", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_event_tells_the_right_people(
    services: Services,
    world: World,
    what: str,
    before: Step | None,
    step: Step,
    expected: dict[NoticeKind, set[str]],
) -> None:
    scene = _scene(services, world)
    names = _names(world, scene.second_staff)
    if before is not None:
        before(services, scene)
    already = _told(services, scene.case.id)
    step(services, scene)
    new = _told(services, scene.case.id) - already
    got: dict[NoticeKind, set[str]] = {}
    for kind, who in new:
        got.setdefault(kind, set()).add(names[who])
    assert got == expected, what


def test_a_rolled_back_event_leaves_no_notice(
    services: Services, world: World, engine: sa.Engine
) -> None:
    scene = _scene(services, world)
    with engine.connect() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(notices)).scalar_one()
    with pytest.raises(ValidationFailed):
        scene.act(services, world.merchant_a, Action.MAKE_OFFER, terms=(), text="")
    with engine.connect() as conn:
        after = conn.execute(sa.select(sa.func.count()).select_from(notices)).scalar_one()
    assert after == before


def _with_channels(services: Services) -> Services:
    return replace(services, channels=Channels(email=RecordingChannel(), sms=RecordingChannel()))


def test_people_with_a_phone_or_an_email_get_those_channels_too(
    services: Services, world: World
) -> None:
    services = _with_channels(services)
    notifications.set_preferences(
        services,
        principal=world.merchant_a,
        language="en",
        email="shop@example.com",
        email_enabled=True,
        sms_enabled=False,
        now=NOW,
    )
    scene = _scene(services, world)
    _offer(services, scene)  # alice has a phone: the offer also goes by SMS
    rows = notifications.case_notices(services, scene.case.id)
    channels = {(n.kind, n.recipient_id, n.channel, n.state) for n in rows}
    assert (
        K.COMPLAINT_RECEIVED,
        world.merchant_a.user_id,
        ChannelName.EMAIL,
        NoticeState.PENDING,
    ) in channels
    assert (K.OFFER_MADE, world.alice.user_id, ChannelName.SMS, NoticeState.PENDING) in channels
    assert (
        K.OFFER_MADE,
        world.alice.user_id,
        ChannelName.IN_APP,
        NoticeState.DELIVERED,
    ) in channels


def test_statutory_notices_ignore_a_switched_off_channel_but_others_respect_it(
    services: Services, world: World
) -> None:
    services = _with_channels(services)
    notifications.set_preferences(
        services,
        principal=world.alice,
        language="zh_CN",
        email=None,
        email_enabled=True,
        sms_enabled=False,
        now=NOW,
    )
    scene = _scene(services, world)
    _offer(services, scene)  # an offer starts no statutory clock: no SMS
    scene.act(services, world.merchant_a, Action.REFUSE, reason="不同意")  # mediation begins
    sms = {
        n.kind
        for n in notifications.case_notices(services, scene.case.id)
        if n.channel is ChannelName.SMS and n.recipient_id == world.alice.user_id
    }
    assert sms == {K.MERCHANT_REFUSED}


def test_a_deployment_without_sms_queues_no_sms(services: Services, world: World) -> None:
    services = replace(services, channels=Channels(email=RecordingChannel()))
    scene = _scene(services, world)
    _offer(services, scene)  # alice has a phone, but there is no SMS gateway
    channels = {n.channel for n in notifications.case_notices(services, scene.case.id)}
    assert channels == {ChannelName.IN_APP}


def test_erasing_ones_data_removes_the_email_address_kept_for_notices(
    services: Services, world: World
) -> None:
    notifications.set_preferences(
        services,
        principal=world.alice,
        language="en",
        email="alice@example.com",
        email_enabled=True,
        sms_enabled=True,
        now=NOW,
    )
    exported = privacy.export_my_data(services, principal=world.alice, now=NOW)
    assert exported["account"]["notification_email"] == "alice@example.com"
    privacy.erase_my_data(services, principal=world.alice, password=PASSWORD, now=NOW)
    prefs = notifications.preferences(services, principal=world.alice)
    assert prefs.email is None
    assert not prefs.has_email
