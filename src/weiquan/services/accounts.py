"""Accounts: creation, password login, API tokens, hotline callers."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.cases import require_text
from weiquan.domain.errors import Conflict, NotAuthenticated, ValidationFailed
from weiquan.domain.identifiers import validate_region_code
from weiquan.services.commands import Caller
from weiquan.services.context import Services
from weiquan.services.ports import UnitOfWork, UserRecord

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,63}$")
_PHONE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$|^0\d{2,3}-?\d{7,8}$")
MIN_PASSWORD = 10
TOKEN_LIFETIME = timedelta(days=90)
# Hotline callers get an account nobody can log in to: no argon2 hash ever equals this marker.
UNUSABLE_PASSWORD = "!"  # noqa: S105


def create_user(
    svc: Services,
    *,
    username: str,
    password: str,
    display_name: str,
    role: Role,
    now: datetime,
    merchant_id: str | None = None,
    region_code: str | None = None,
    phone: str | None = None,
) -> UserRecord:
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise ValidationFailed(
            "用户名为 3–64 位小写字母、数字、点、下划线或连字符", field="username"
        )
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(f"密码至少 {MIN_PASSWORD} 位", field="password")
    require_text(display_name, field="display_name", limit=100)
    if role is Role.SYSTEM:
        raise ValidationFailed("system 不是可登录的角色", field="role")
    if (role is Role.MERCHANT) != (merchant_id is not None):
        raise ValidationFailed("商家账户必须且只有商家账户须关联商家", field="merchant_id")
    if role is Role.REGULATOR:
        region_code = validate_region_code(region_code or "")
    if phone is not None:
        phone = normalise_phone(phone)
    user = UserRecord(
        id=svc.ids.new_id(),
        username=username,
        display_name=display_name.strip(),
        role=role,
        password_hash=svc.passwords.hash(password),
        merchant_id=merchant_id,
        region_code=region_code,
        is_active=True,
        phone=phone,
    )
    with svc.uow() as uow:
        if uow.users.by_username(username) is not None:
            raise Conflict(f"用户名 {username} 已被占用", field="username")
        if merchant_id is not None and uow.merchants.get(merchant_id) is None:
            raise ValidationFailed("找不到该商家", field="merchant_id")
        uow.users.add(user, created_at=now)
        uow.commit()
    return user


def normalise_phone(raw: str) -> str:
    phone = re.sub(r"[\s()]", "", raw)
    if not _PHONE.match(phone):
        raise ValidationFailed("电话号码格式不正确（手机号 11 位，或区号-座机）", field="phone")
    return phone.removeprefix("+86").removeprefix("86") if len(phone) > 11 else phone


CALLER_PREFIX = "caller-"


def phone_lookup(svc: Services, raw_phone: str) -> str:
    """The keyed digest a phone number is looked up by (hotline callers, sign-up): the same
    for every way of writing the number, and useless without the deployment's key."""
    return svc.lookup.digest("phone", normalise_phone(raw_phone))


def caller_account(svc: Services, uow: UnitOfWork, caller: Caller) -> tuple[UserRecord, bool]:
    """The consumer account of a hotline caller, found again by phone on later calls, and
    whether it is new. A new account is not written here: the caller adds it together with the
    complaint, so a complaint refused later leaves no stray account behind."""
    require_text(caller.name, field="caller.name", limit=100)
    phone = normalise_phone(caller.phone)
    # Named by a keyed digest of the phone: the number never appears in clear, and without the
    # deployment's key the name cannot be matched to numbers by trying them all.
    username = CALLER_PREFIX + phone_lookup(svc, phone)[:16]
    existing = uow.users.by_username(username)
    if existing is not None:
        return existing, False
    user = UserRecord(
        id=svc.ids.new_id(),
        username=username,
        display_name=caller.name.strip(),
        role=Role.CONSUMER,
        password_hash=UNUSABLE_PASSWORD,
        merchant_id=None,
        region_code=None,
        is_active=True,
        phone=phone,
    )
    return user, True


def authenticate(svc: Services, *, username: str, password: str) -> Principal:
    with svc.uow(readonly=True) as uow:
        user = uow.users.by_username(username.strip().lower())
    # Verify against a hash even for unknown users so timing does not reveal which names exist.
    candidate = (
        user.password_hash
        if user and user.password_hash != UNUSABLE_PASSWORD
        else _DUMMY_HASH.get(svc)
    )
    ok = svc.passwords.verify(candidate, password)
    if user is None or not ok or not user.is_active:
        raise NotAuthenticated("用户名或密码错误")
    return user.principal


class _DummyHash:
    def __init__(self) -> None:
        self._value: str | None = None

    def get(self, svc: Services) -> str:
        if self._value is None:
            self._value = svc.passwords.hash("not-a-real-password-for-timing")
        return self._value


_DUMMY_HASH = _DummyHash()


def issue_token(
    svc: Services, *, principal: Principal, name: str, now: datetime, digest: str, token: str
) -> tuple[str, datetime]:
    """Stores the digest of a fresh bearer token; the token itself is shown once."""
    require_text(name, field="name", limit=100)
    expires = now + TOKEN_LIFETIME
    with svc.uow() as uow:
        uow.users.add_token(
            token_id=svc.ids.new_id(),
            user_id=principal.user_id,
            token_hash=digest,
            name=name,
            created_at=now,
            expires_at=expires,
        )
        uow.commit()
    return token, expires


def principal_for_token(svc: Services, *, digest: str, now: datetime) -> Principal:
    with svc.uow(readonly=True) as uow:
        user = uow.users.by_token_hash(digest, now=now)
    if user is None or not user.is_active:
        raise NotAuthenticated("访问令牌无效或已过期")
    return user.principal


def principal_for_user(svc: Services, user_id: str) -> Principal | None:
    with svc.uow(readonly=True) as uow:
        user = uow.users.get(user_id)
    return user.principal if user and user.is_active else None


def my_data(svc: Services, *, principal: Principal) -> UserRecord:
    with svc.uow(readonly=True) as uow:
        user = uow.users.get(principal.user_id, with_pii=True)
    if user is None:
        raise NotAuthenticated("账户不存在")
    return user


def change_password(
    svc: Services, *, principal: Principal, current: str, new: str, now: datetime
) -> None:
    """Sets a new password once the current one is re-typed, and ends every sign-in session of
    the account: whoever held one (a stolen cookie, a forgotten computer) must sign in again."""
    if len(new) < MIN_PASSWORD:
        raise ValidationFailed(f"新密码至少 {MIN_PASSWORD} 位", field="new_password")
    if len(new) > 1000:
        raise ValidationFailed("新密码过长", field="new_password")
    with svc.uow(readonly=True) as uow:
        user = uow.users.get(principal.user_id)
    if user is None or not user.is_active or not svc.passwords.verify(user.password_hash, current):
        raise NotAuthenticated("当前密码不正确，密码未修改")
    new_hash = svc.passwords.hash(new)
    with svc.uow() as uow:
        uow.users.set_password_hash(principal.user_id, new_hash)
        uow.sessions.end_all_of(principal.user_id, now=now, reason="password_changed")
        uow.commit()
