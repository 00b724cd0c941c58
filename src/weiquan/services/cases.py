"""Case use cases: file a complaint, act on a case, read cases within one's scope."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from weiquan.domain import workflow as wf
from weiquan.domain.accounts import Actor, Principal, Role
from weiquan.domain.cases import (
    Case,
    CaseEvent,
    Channel,
    OfferKind,
    require_plausible_order_dates,
)
from weiquan.domain.errors import (
    CaseNumberTaken,
    DomainError,
    IdempotencyMismatch,
    PermissionDenied,
    ValidationFailed,
)
from weiquan.domain.lifecycle import Action, CaseStatus
from weiquan.services import authz, notifications, trust_grades
from weiquan.services.accounts import caller_account
from weiquan.services.commands import CaseCommand, FileComplaint
from weiquan.services.context import Services
from weiquan.services.ports import (
    CaseFilter,
    CasePosition,
    MediatorPart,
    MerchantRecord,
    ShopRecord,
    UnitOfWork,
    UserRecord,
)

MAX_IDEMPOTENCY_KEY = 100
# Largest group filed in one transaction: big enough to amortise a commit, small enough that
# the last submission of a group does not wait long for the first.
MAX_GROUP = 64

Filed = tuple[Case, bool]


@dataclass(frozen=True, slots=True)
class Submission:
    """One complaint as it arrived: what was asked, by whom, when, under which retry key."""

    cmd: FileComplaint
    principal: Principal
    now: datetime
    idempotency_key: str | None = None


def file_complaint(
    svc: Services,
    cmd: FileComplaint,
    *,
    principal: Principal,
    now: datetime,
    idempotency_key: str | None = None,
) -> Filed:
    """Creates (and by default submits) a case. Returns (case, created).

    A retried request with the same idempotency key returns the first case instead of a duplicate;
    the same key with a different request is refused.
    """
    outcome = _file_together(svc, [Submission(cmd, principal, now, idempotency_key)])[0]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def file_complaints(svc: Services, group: Sequence[Submission]) -> list[Filed | Exception]:
    """Files a group of complaints in one transaction (group commit): the outcome of each, in
    order — its case, or the error that refused it.

    Each submission is checked and built on its own, so one that is refused gets its error in
    its place while the rest are filed. If the shared transaction itself fails (another process
    won a race for the same idempotency key, the connection dropped), every submission is filed
    again alone, so each ends exactly as it would have on its own.
    """
    return write_prepared(svc, prepare_complaints(svc, group))


@dataclass(frozen=True)
class PreparedGroup:
    """A group checked and built on a read snapshot, not yet written: see :func:`write_prepared`.
    Without ``pending`` (the snapshot could not be read) the group is built when written."""

    submissions: Sequence[Submission]
    outcomes: list[Filed | Exception]
    pending: _Group | None


def prepare_complaints(svc: Services, group: Sequence[Submission]) -> PreparedGroup:
    """Checks and builds every complaint of the group on a read snapshot, writing nothing.

    This is most of a complaint's work (validation, case numbers, the admission and its
    deadlines on the working-day calendar), and done outside the write transaction it no longer
    holds the write lock, which on SQLite every writer of every process waits for: one process
    prepares its next group while another's commit waits for the disk.
    """
    if len(group) > MAX_GROUP:
        raise ValueError(f"at most {MAX_GROUP} complaints are filed together")
    try:
        with svc.uow(readonly=True) as reads:
            pending, outcomes = _build(svc, reads, group)
    except Exception:  # noqa: BLE001 - built again in the write transaction, which may succeed
        return PreparedGroup(group, [], None)
    return PreparedGroup(group, outcomes, pending)


def write_prepared(
    svc: Services, prepared: PreparedGroup, *, writing: Callable[[], None] = lambda: None
) -> list[Filed | Exception]:
    """Writes a prepared group in one transaction and commits it; the outcome of each
    submission, in order. ``writing`` is called once the write transaction is open.

    What the preparation read is checked again inside the transaction (retry keys and new
    caller accounts another writer may have stored meanwhile); if it no longer holds, the group
    is built again inside the transaction, as it would have been without preparation.
    """
    writing = _once(writing)
    try:
        return _write_together(svc, prepared, writing)
    except Exception:  # whatever broke the shared transaction, each complaint retries alone
        if len(prepared.submissions) == 1:
            raise
        return [_file_alone(svc, submission, writing) for submission in prepared.submissions]
    finally:
        writing()  # at least once, even when nothing could be written


def _once(step: Callable[[], None]) -> Callable[[], None]:
    done = False

    def run() -> None:
        nonlocal done
        if not done:
            done = True
            step()

    return run


def _file_alone(
    svc: Services, submission: Submission, writing: Callable[[], None]
) -> Filed | Exception:
    try:
        return _write_together(svc, PreparedGroup([submission], [], None), writing)[0]
    except Exception as exc:  # noqa: BLE001 - handed to the submitter, who re-raises it
        return exc


class _Group:
    """What one transaction writes for a group, and the lookups its submissions share."""

    def __init__(self, svc: Services, uow: UnitOfWork, group: Sequence[Submission]) -> None:
        self.uow = uow  # where the group's lookups read: a read snapshot or the write transaction
        self.channels = svc.channels
        self.now = max(s.now for s in group)
        self.cases: list[Case] = []
        self.callers: dict[str, tuple[UserRecord, datetime]] = {}
        self.keys: dict[tuple[str, str], tuple[str, Case, datetime]] = {}
        # One query for every retry key in the group rather than one per complaint.
        self.key_pairs = [
            (s.principal.user_id, s.idempotency_key) for s in group if s.idempotency_key
        ]
        self.stored_keys = uow.idempotency.get_many(self.key_pairs)
        self._shops: dict[str, tuple[ShopRecord, MerchantRecord] | None] = {}

    def shop(self, shop_id: str) -> tuple[ShopRecord, MerchantRecord]:
        if shop_id not in self._shops:
            self._shops[shop_id] = self.uow.merchants.shop_and_merchant(shop_id)
        found = self._shops[shop_id]
        if found is None:
            raise ValidationFailed("找不到该店铺，请从列表中选择被投诉的店铺", field="shop_id")
        return found

    def still_holds(self, uow: UnitOfWork) -> bool:
        """Whether what the group read on its snapshot is still so in the write transaction:
        no retry key of the group and no new caller's account was stored meanwhile. (Shops and
        merchants are read as of the snapshot; a case refers to them by key.)"""
        if any(uow.users.by_username(name) is not None for name in self.callers):
            return False
        return uow.idempotency.get_many(self.key_pairs) == self.stored_keys

    def write(self, uow: UnitOfWork) -> None:
        for user, at in self.callers.values():
            uow.users.add(user, created_at=at)
        intents = notifications.pending_intents(self.cases)  # before add_all clears the events
        uow.cases.add_all(self.cases)
        notifications.queue(uow, intents, now=self.now, channels=self.channels)
        uow.idempotency.put_all(
            [
                (user_id, key, request_hash, case.id, at)
                for (user_id, key), (request_hash, case, at) in self.keys.items()
            ]
        )


# Case numbers are short enough to read out on the phone (31⁶ of them a day), so two may meet;
# the database refuses the second, and the group is built again with fresh numbers.
_NUMBER_ATTEMPTS = 5


def _file_together(svc: Services, group: Sequence[Submission]) -> list[Filed | Exception]:
    return _write_together(svc, PreparedGroup(group, [], None), lambda: None)


def _write_together(
    svc: Services, prepared: PreparedGroup, writing: Callable[[], None]
) -> list[Filed | Exception]:
    for _ in range(_NUMBER_ATTEMPTS - 1):
        try:
            return _write_group_once(svc, prepared, writing)
        except CaseNumberTaken:
            prepared = PreparedGroup(prepared.submissions, [], None)  # built again, new numbers
    return _write_group_once(svc, prepared, writing)


def _write_group_once(
    svc: Services, prepared: PreparedGroup, writing: Callable[[], None]
) -> list[Filed | Exception]:
    with svc.uow() as uow:
        writing()
        pending, outcomes = prepared.pending, prepared.outcomes
        if pending is None or not pending.still_holds(uow):
            pending, outcomes = _build(svc, uow, prepared.submissions)
        pending.write(uow)
        uow.commit()
    return outcomes


def _build(
    svc: Services, uow: UnitOfWork, group: Sequence[Submission]
) -> tuple[_Group, list[Filed | Exception]]:
    """Checks and builds each submission, reading through ``uow``; writes nothing."""
    pending = _Group(svc, uow, group)
    outcomes: list[Filed | Exception] = []
    for submission in group:
        try:
            outcomes.append(_file_one(svc, pending, submission))
        except DomainError as exc:
            outcomes.append(exc)
    return pending, outcomes


def _file_one(svc: Services, pending: _Group, submission: Submission) -> Filed:
    """Checks and builds one case, adding it to what the group will write; writes nothing."""
    cmd, principal, key = submission.cmd, submission.principal, submission.idempotency_key
    if principal.role not in (Role.CONSUMER, Role.OPERATOR):
        raise PermissionDenied("只有消费者或热线坐席可以提交投诉")
    request_hash = _request_hash(cmd)
    if key is not None:
        existing = _replay(pending, principal, key, request_hash)
        if existing is not None:
            return existing, False
    case = _new_case(svc, pending, cmd, principal=principal, now=submission.now)
    pending.cases.append(case)
    if key is not None:
        pending.keys[(principal.user_id, key)] = (request_hash, case, submission.now)
    return case, True


def _replay(pending: _Group, principal: Principal, key: str, request_hash: str) -> Case | None:
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise ValidationFailed("Idempotency-Key 应为 1–100 个可见字符", field="Idempotency-Key")
    earlier = pending.keys.get((principal.user_id, key))  # the same key earlier in this group
    if earlier is not None:
        stored_hash, stored_case = earlier[0], earlier[1]
    else:
        stored = pending.stored_keys.get((principal.user_id, key))
        if stored is None:
            return None
        stored_hash, found = stored[0], pending.uow.cases.get(stored[1])
        assert found is not None  # idempotency rows reference cases by foreign key
        stored_case = found
    if stored_hash != request_hash:
        raise IdempotencyMismatch("同一个 Idempotency-Key 已用于另一份不同的投诉")
    return stored_case


def _new_case(
    svc: Services, pending: _Group, cmd: FileComplaint, *, principal: Principal, now: datetime
) -> Case:
    if cmd.order is not None:
        require_plausible_order_dates(cmd.order, at=now)
    shop, merchant = pending.shop(cmd.shop_id)
    consumer_id, channel, filed_by, new_caller = _complainant(
        svc, pending, cmd, principal=principal
    )
    case = Case(
        id=svc.ids.new_id(),
        number=svc.ids.case_number(now),
        consumer_id=consumer_id,
        merchant_id=merchant.id,
        shop_id=shop.id,
        category=cmd.category,
        title=cmd.title,
        description=cmd.description,
        claims=cmd.claims,
        created_at=now,
        channel=channel,
        filed_by_id=filed_by,
        order=cmd.order,
        purpose=cmd.purpose,
        noticed_on=cmd.noticed_on,
        handled_elsewhere=cmd.handled_elsewhere,
        region_code=merchant.region_code,
        updated_at=now,
    )
    if cmd.submit:
        wf.submit(case, actor=principal.actor, at=now, cal=svc.calendar, policy=svc.policy)
    wf.schedule(case, svc.policy)
    if new_caller is not None:  # only now that nothing can refuse the complaint any more
        pending.callers[new_caller.username] = (new_caller, now)
    return case


def _complainant(
    svc: Services, pending: _Group, cmd: FileComplaint, *, principal: Principal
) -> tuple[str, Channel, str | None, UserRecord | None]:
    """(consumer id, channel, filed by, a new caller account to write with the case)."""
    if principal.role is Role.CONSUMER:
        if cmd.caller or cmd.consumer_id:
            raise ValidationFailed("消费者只能以本人名义投诉", field="caller")
        channel = cmd.channel if cmd.channel is not Channel.HOTLINE else Channel.WEB
        return principal.user_id, channel, None, None
    if cmd.consumer_id:
        consumer = pending.uow.users.get(cmd.consumer_id)
        if consumer is None or consumer.role is not Role.CONSUMER:
            raise ValidationFailed("找不到该消费者账户", field="consumer_id")
        return consumer.id, Channel.HOTLINE, principal.user_id, None
    if cmd.caller is None:
        raise ValidationFailed("热线受理须填写来电人姓名和电话", field="caller")
    user, is_new = caller_account(svc, pending.uow, cmd.caller)
    earlier = pending.callers.get(user.username)  # a new number that called earlier in the group
    if earlier is not None:
        return earlier[0].id, Channel.HOTLINE, principal.user_id, None
    return user.id, Channel.HOTLINE, principal.user_id, user if is_new else None


def _request_hash(cmd: FileComplaint) -> str:
    # repr of frozen dataclasses of primitives, enums and aware datetimes is deterministic and
    # much cheaper than asdict() + JSON on the intake hot path.
    canonical = repr(cmd)
    return hashlib.sha256(canonical.encode()).hexdigest()


def act(svc: Services, cmd: CaseCommand, *, principal: Principal, now: datetime) -> Case:
    """Performs one lifecycle action on a case, after object-level authorisation."""
    with svc.uow() as uow:
        case = visible_case(uow, principal, cmd.case_id)
        cmd = _resolve_offer_action(case, cmd)
        authz.require_act(principal, case, cmd.action)
        _dispatch(svc, uow, case, cmd, actor=principal.actor, now=now)
        wf.schedule(case, svc.policy)
        intents = notifications.pending_intents([case])  # before the save clears the events
        uow.cases.save(case)
        notifications.queue(uow, intents, now=now, channels=svc.channels)
        trust_grades.after_case_saved(uow, case, now, svc.grade_policy)
        uow.commit()
    return case


def _resolve_offer_action(case: Case, cmd: CaseCommand) -> CaseCommand:
    """ "Accept" and "reject" mean the settlement actions when the open offer is a proposal."""
    offer = case.open_offer
    if offer is None or offer.kind is not OfferKind.PROPOSAL:
        return cmd
    mapping = {
        Action.ACCEPT_OFFER: Action.ACCEPT_SETTLEMENT,
        Action.REJECT_OFFER: Action.REJECT_SETTLEMENT,
    }
    return replace(cmd, action=mapping.get(cmd.action, cmd.action))


def _dispatch(
    svc: Services, uow: UnitOfWork, case: Case, cmd: CaseCommand, *, actor: Actor, now: datetime
) -> None:
    cal, policy, a = svc.calendar, svc.policy, cmd.action
    if a is Action.SUBMIT:
        wf.submit(case, actor=actor, at=now, cal=cal, policy=policy)
    elif a is Action.REPLY:
        wf.reply(case, actor=actor, at=now, text=cmd.text)
    elif a in (Action.MAKE_OFFER, Action.PROPOSE_SETTLEMENT):
        wf.make_offer(
            case,
            actor=actor,
            at=now,
            offer_id=svc.ids.new_id(),
            terms=cmd.terms,
            note=cmd.text,
            fulfil_within_days=cmd.fulfil_within_days,
        )
    elif a is Action.ACCEPT_OFFER:
        wf.accept_offer(case, actor=actor, at=now, offer_id=cmd.offer_id, cal=cal)
    elif a is Action.REJECT_OFFER:
        wf.reject_offer(
            case,
            actor=actor,
            at=now,
            offer_id=cmd.offer_id,
            reason=cmd.reason,
            cal=cal,
            policy=policy,
        )
    elif a in (Action.ESCALATE, Action.REFUSE):
        wf.escalate(case, actor=actor, at=now, reason=cmd.reason, cal=cal, policy=policy, action=a)
    elif a is Action.ASSIGN_MEDIATOR:
        _assign(uow, case, cmd, actor=actor, now=now)
    elif a is Action.ACCEPT_SETTLEMENT:
        wf.accept_settlement(case, actor=actor, at=now, offer_id=cmd.offer_id, cal=cal)
    elif a is Action.REJECT_SETTLEMENT:
        wf.reject_settlement(case, actor=actor, at=now, offer_id=cmd.offer_id, reason=cmd.reason)
    else:
        _dispatch_closing(svc, case, cmd, actor=actor, now=now)


def _dispatch_closing(
    svc: Services, case: Case, cmd: CaseCommand, *, actor: Actor, now: datetime
) -> None:
    a = cmd.action
    if a is Action.CONCLUDE_AGREEMENT:
        wf.conclude_agreement(
            case,
            actor=actor,
            at=now,
            reason=cmd.reason or "调解成功，双方达成协议",
            cal=svc.calendar,
        )
    elif a is Action.RECORD_FAILURE:
        wf.record_failure(case, actor=actor, at=now, reason=cmd.reason)
        wf.refer_or_issue_dossier(
            case,
            actor=actor,
            at=now,
            refer=cmd.refer and bool(case.region_code),
            reason="调解未成，移交监管部门" if cmd.refer else "调解未成，出具诉讼/仲裁材料",
        )
    elif a is Action.CONFIRM_FULFILMENT:
        wf.confirm_fulfilment(case, actor=actor, at=now)
    elif a is Action.REOPEN:
        wf.reopen(case, actor=actor, at=now, reason=cmd.reason, cal=svc.calendar, policy=svc.policy)
    elif a in (Action.REFER, Action.ISSUE_DOSSIER):
        wf.refer_or_issue_dossier(
            case, actor=actor, at=now, reason=cmd.reason or "出具材料", refer=a is Action.REFER
        )
    elif a is Action.CLOSE:
        wf.close(case, actor=actor, at=now, reason=cmd.reason or "结案")
    elif a is Action.WITHDRAW:
        wf.withdraw(case, actor=actor, at=now, reason=cmd.reason)
    elif a is Action.ADD_STATEMENT:
        wf.add_statement(case, actor=actor, at=now, text=cmd.text)
    elif a is Action.REQUEST_EVIDENCE:
        wf.request_evidence(case, actor=actor, at=now, text=cmd.text)
    elif a is Action.RATE:
        wf.rate(case, actor=actor, at=now, stars=cmd.stars, comment=cmd.text)
    else:
        raise ValidationFailed(f"该操作不能通过此接口执行：{a.value}", field="action")


def _assign(uow: UnitOfWork, case: Case, cmd: CaseCommand, *, actor: Actor, now: datetime) -> None:
    mediator_id = cmd.mediator_id or (actor.user_id if actor.role is Role.MEDIATOR else "")
    if actor.role is Role.MEDIATOR and mediator_id != actor.user_id:
        raise PermissionDenied("调解员只能认领给自己；改派请联系管理员")
    mediator = uow.users.get(mediator_id) if mediator_id else None
    if mediator is None or mediator.role is not Role.MEDIATOR or not mediator.is_active:
        raise ValidationFailed("请选择一位在岗的调解员", field="mediator_id")
    wf.assign_mediator(case, actor=actor, at=now, mediator_id=mediator.id)


def visible_case(
    uow: UnitOfWork, principal: Principal, case_id: str, *, for_update: bool = True
) -> Case:
    """The case, if the principal may see it; NotFound otherwise (existence does not leak)."""
    case = uow.cases.get(case_id, for_update=for_update) if case_id else None
    referred = case is not None and principal.role is Role.REGULATOR and _was_referred(uow, case)
    return authz.require_view(principal, case, was_referred=referred)


def _was_referred(uow: UnitOfWork, case: Case) -> bool:
    return any(e.action is Action.REFER for e in uow.cases.events(case.id))


def get_case(svc: Services, case_id: str, *, principal: Principal) -> tuple[Case, list[CaseEvent]]:
    with svc.uow(readonly=True) as uow:
        case = uow.cases.get(case_id)
        referred = (
            case is not None and principal.role is Role.REGULATOR and _was_referred(uow, case)
        )
        case = authz.require_view(principal, case, was_referred=referred)
        return case, uow.cases.events(case.id)


# OFFSET pagination costs every page before it; it is kept, bounded, for clients that jump a
# few pages ahead. Anything deeper goes through the cursor.
MAX_OFFSET = 1000
MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class CasePage:
    """One page of a case list, and the opaque cursor of the next page (None on the last)."""

    items: list[Case]
    next_cursor: str | None


def case_page(
    svc: Services,
    *,
    principal: Principal,
    statuses: tuple[CaseStatus, ...] = (),
    limit: int = 50,
    cursor: str | None = None,
    offset: int = 0,
    part: MediatorPart = MediatorPart.ALL,
) -> CasePage:
    """The cases the principal may see, soonest deadline first (cases without one after them,
    newest first), one page after ``cursor``. A page costs the same however deep and however
    many cases there are; a cursor stays valid when cases are added."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(f"limit 应在 1–{MAX_PAGE} 之间", field="limit")
    if not 0 <= offset <= MAX_OFFSET:
        raise ValidationFailed(
            f"offset 应在 0–{MAX_OFFSET} 之间；更深的页请用 cursor 翻页", field="offset"
        )
    if cursor and offset:
        raise ValidationFailed("cursor 与 offset 只能用其一", field="cursor")
    if principal.role is Role.OPERATOR:
        return CasePage([], None)
    scope = authz.case_scope(principal) if principal.role is not Role.ADMIN else CaseFilter()
    after = decode_cursor(cursor) if cursor else None
    # One more than the page tells whether a next page exists, without counting.
    scope = replace(scope, statuses=statuses, limit=limit + 1, after=after, mediator_part=part)
    with svc.uow(readonly=True) as uow:
        found = uow.cases.find_after_skipping(scope, offset) if offset else uow.cases.find(scope)
    items = found[:limit]
    more = len(found) > limit
    return CasePage(items, encode_cursor(CasePosition.of(items[-1])) if more else None)


@dataclass(frozen=True, slots=True)
class CaseCount:
    """How many cases a person may see, counted up to a bound: ``at_least`` when there are more."""

    count: int
    at_least: bool


def count_cases(svc: Services, *, principal: Principal, cap: int = MAX_OFFSET) -> CaseCount:
    """For a total a person reads (their data page): never more than ``cap`` index entries."""
    if principal.role is Role.OPERATOR:
        return CaseCount(0, at_least=False)
    scope = authz.case_scope(principal) if principal.role is not Role.ADMIN else CaseFilter()
    with svc.uow(readonly=True) as uow:
        found = uow.cases.count_up_to(scope, cap)
    return CaseCount(found, at_least=found >= cap)


def all_cases(svc: Services, *, principal: Principal) -> list[Case]:
    """Every case the principal may see, page by page (a personal-data export needs them all)."""
    found: list[Case] = []
    cursor: str | None = None
    while True:
        page = case_page(svc, principal=principal, limit=MAX_PAGE, cursor=cursor)
        found += page.items
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


def encode_cursor(position: CasePosition) -> str:
    due = position.next_due_at.isoformat() if position.next_due_at else None
    raw = json.dumps([due, position.created_at.isoformat(), position.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> CasePosition:
    """The position a cursor stands for; a cursor that was not made here is refused with 422."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        due, created, case_id = json.loads(raw)
        position = CasePosition(
            datetime.fromisoformat(due) if due is not None else None,
            datetime.fromisoformat(created),
            str(case_id),
        )
    except (ValueError, TypeError) as exc:
        raise ValidationFailed("翻页链接已失效，请从第一页重新开始", field="cursor") from exc
    aware = position.created_at.tzinfo is not None and (
        position.next_due_at is None or position.next_due_at.tzinfo is not None
    )
    if not aware:
        raise ValidationFailed("翻页链接已失效，请从第一页重新开始", field="cursor")
    return position


def event_summary(event: CaseEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "action": event.action.value,
        "from": event.from_status.value,
        "to": event.to_status.value,
        "actor_role": event.actor.role.value,
        "actor_id": event.actor.user_id,
        "rule": event.actor.rule,
        "reason": event.reason,
        "at": event.at.isoformat(),
        "payload": event.payload,
    }
