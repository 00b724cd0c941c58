"""A person's own data: see it, export it, have it erased (个人信息保护法 Art 44–47).

Erasure blanks what identifies or reaches the person (phone, ID number, address, name, the contact
given with a 举报 report, a hotline caller's phone-derived username) and closes the account. The case records themselves stay: 电子商务法 Art 31 requires transaction records to be
kept for at least three years, and the other party's rights rest on them; in those records the
person then appears only under a neutral label.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from weiquan.domain.accounts import Principal, Role
from weiquan.domain.errors import NotAuthenticated, PermissionDenied
from weiquan.services import accounts, notifications
from weiquan.services.cases import all_cases
from weiquan.services.context import Services

ERASED_NAME = "已注销用户"


def export_my_data(svc: Services, *, principal: Principal, now: datetime) -> dict[str, Any]:
    """Everything the platform holds about the person, in clear, for the person alone."""
    user = accounts.my_data(svc, principal=principal)
    owned = all_cases(svc, principal=principal) if principal.role is Role.CONSUMER else []
    return {
        "exported_at": now.isoformat(),
        "account": {
            "id": user.id,
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role.value,
            "phone": user.phone,
            "id_number": user.id_number,
            "address": user.address,
            "notification_email": notifications.preferences(svc, principal=principal).email,
        },
        "cases": [
            {
                "number": c.number,
                "title": c.title,
                "status": c.status.value,
                "created_at": c.created_at.isoformat(),
                "description": c.description,
            }
            for c in owned
        ],
        "purposes": "处理消费纠纷（投诉、协商、调解、移交）；法定保存期限内保存交易与处理记录",
    }


def erase_my_data(svc: Services, *, principal: Principal, password: str, now: datetime) -> None:
    """Erases the person's contact data and closes the account, after re-checking the password."""
    if principal.role not in (Role.CONSUMER,):
        raise PermissionDenied("工作人员与商家账户请联系管理员注销")
    with svc.uow(readonly=True) as uow:
        user = uow.users.get(principal.user_id)
    if user is None or not svc.passwords.verify(user.password_hash, password):
        raise NotAuthenticated("密码不正确，未执行注销")
    with svc.uow() as uow:
        uow.users.erase_personal_data(principal.user_id, display_name=ERASED_NAME, now=now)
        uow.sessions.end_all_of(principal.user_id, now=now, reason="erased")
        uow.reports.erase_personal_data("reporter_id", principal.user_id)
        uow.requests.forget_user(principal.user_id)
        # The e-mail address for notices reaches the person too: it goes with the rest.
        uow.notices.set_preferences(
            principal.user_id,
            language="zh_CN",
            email=None,
            email_enabled=False,
            sms_enabled=False,
            now=now,
        )
        uow.commit()
