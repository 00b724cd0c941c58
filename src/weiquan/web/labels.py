"""Names of statuses, actions, categories and roles as pages show them, marked for translation.

The domain keeps its own Chinese labels for logs and documents; these are the page wording,
listed here so that the message extractor finds every one of them.
"""

from __future__ import annotations

from weiquan.domain.accounts import Role
from weiquan.domain.cases import Category, ClaimKind
from weiquan.domain.lifecycle import Action, CaseStatus
from weiquan.domain.notifications import Audience, ChannelName, NoticeState
from weiquan.web.i18n import gettext, n_

STATUS = {
    CaseStatus.DRAFT: n_("草稿"),
    CaseStatus.SUBMITTED: n_("已提交"),
    CaseStatus.INADMISSIBLE: n_("不予受理"),
    CaseStatus.NEGOTIATION: n_("协商中"),
    CaseStatus.SETTLED: n_("已和解"),
    CaseStatus.MEDIATION: n_("调解中"),
    CaseStatus.AGREEMENT: n_("已达成调解协议"),
    CaseStatus.MEDIATION_FAILED: n_("调解未成"),
    CaseStatus.REFERRED: n_("已移交监管部门"),
    CaseStatus.DOSSIER_ISSUED: n_("已出具诉讼/仲裁材料"),
    CaseStatus.FULFILLED: n_("已履行"),
    CaseStatus.CLOSED: n_("已结案"),
    CaseStatus.WITHDRAWN: n_("已撤回"),
}

ACTION = {
    Action.SUBMIT: n_("提交投诉"),
    Action.ADMIT: n_("受理"),
    Action.DECLARE_INADMISSIBLE: n_("不予受理"),
    Action.REPLY: n_("商家答复"),
    Action.MAKE_OFFER: n_("提出解决方案"),
    Action.ACCEPT_OFFER: n_("接受方案"),
    Action.REJECT_OFFER: n_("拒绝方案"),
    Action.REFUSE: n_("商家拒绝"),
    Action.ESCALATE: n_("申请调解"),
    Action.ASSIGN_MEDIATOR: n_("指派调解员"),
    Action.PROPOSE_SETTLEMENT: n_("提出调解方案"),
    Action.ACCEPT_SETTLEMENT: n_("同意调解方案"),
    Action.REJECT_SETTLEMENT: n_("不同意调解方案"),
    Action.CONCLUDE_AGREEMENT: n_("达成调解协议"),
    Action.RECORD_FAILURE: n_("调解终止"),
    Action.CONFIRM_FULFILMENT: n_("确认履行"),
    Action.REOPEN: n_("重新处理"),
    Action.REFER: n_("移交监管部门"),
    Action.ISSUE_DOSSIER: n_("出具诉讼/仲裁材料"),
    Action.CLOSE: n_("结案"),
    Action.WITHDRAW: n_("撤回投诉"),
    Action.ADD_STATEMENT: n_("补充陈述"),
    Action.REQUEST_EVIDENCE: n_("请求补充证据"),
    Action.RATE: n_("评价处理结果"),
}

CATEGORY = {
    Category.QUALITY: n_("商品质量"),
    Category.NOT_AS_DESCRIBED: n_("货不对板"),
    Category.DELIVERY_DELAY: n_("延迟发货/送达"),
    Category.COUNTERFEIT: n_("假冒伪劣"),
    Category.FALSE_ADVERTISING: n_("虚假宣传"),
    Category.REFUND_REFUSED: n_("拒绝退款"),
    Category.AFTER_SALES: n_("售后服务"),
    Category.PERSONAL_INFORMATION: n_("个人信息"),
    Category.PRICE_FRAUD: n_("价格欺诈"),
    Category.OTHER: n_("其他"),
}

CLAIM = {
    ClaimKind.REFUND: n_("退款"),
    ClaimKind.RETURN: n_("退货"),
    ClaimKind.EXCHANGE: n_("换货"),
    ClaimKind.REPAIR: n_("维修"),
    ClaimKind.COMPENSATION: n_("赔偿"),
    ClaimKind.APOLOGY: n_("赔礼道歉"),
    ClaimKind.OTHER: n_("其他"),
}

ROLE = {
    Role.CONSUMER: n_("消费者"),
    Role.MERCHANT: n_("商家"),
    Role.MEDIATOR: n_("调解员"),
    Role.REGULATOR: n_("监管部门"),
    Role.OPERATOR: n_("热线坐席"),
    Role.ADMIN: n_("管理员"),
    Role.SYSTEM: n_("系统"),
}

# What a merchant or mediator may offer (an apology is asked for, not offered with an amount).
OFFER_KINDS = (
    ClaimKind.REFUND,
    ClaimKind.RETURN,
    ClaimKind.EXCHANGE,
    ClaimKind.REPAIR,
    ClaimKind.COMPENSATION,
)


AUDIENCE = {
    Audience.CONSUMER: n_("消费者"),
    Audience.MERCHANT_STAFF: n_("商家"),
    Audience.MEDIATOR_POOL: n_("调解员"),
    Audience.REGIONAL_REGULATORS: n_("监管部门"),
}

CHANNEL = {
    ChannelName.IN_APP: n_("站内通知"),
    ChannelName.EMAIL: n_("电子邮件"),
    ChannelName.SMS: n_("短信"),
}

NOTICE_STATE = {
    NoticeState.PENDING: n_("待发送"),
    NoticeState.DELIVERED: n_("已送达"),
    NoticeState.FAILED: n_("发送失败"),
}


def label(table: dict[object, str], key: object) -> str:
    text = table.get(key)
    return gettext(text) if text else str(key)


# Reasons the platform itself writes into the timeline (rules, the worker, default wording);
# shown in the page's language. A reason a person typed is shown as they wrote it.
SYSTEM_REASONS = frozenset(
    {
        n_("消费者提交投诉"),
        n_("材料齐全，受理并通知商家在期限内答复"),  # written by versions before notices existed
        n_("材料齐全，予以受理；商家须在期限内答复"),
        n_("商家答复"),
        n_("提出解决方案"),
        n_("消费者接受商家方案"),
        n_("指派调解员"),
        n_("同意调解方案"),
        n_("双方均同意调解方案，达成调解协议"),
        n_("调解成功，双方达成协议"),
        n_("确认对方已履行"),
        n_("补充陈述"),
        n_("请求补充证据"),
        n_("评价处理结果"),
        n_("商家逾期未答复，自动转入调解"),
        n_("协商期届满未达成一致，自动转入调解"),
        n_("调解期限届满未达成协议，调解终止（暂行办法第21条、实施条例第46条）"),
        n_("调解未成，移交监管部门"),
        n_("调解未成，移交商家经营地市场监管部门"),
        n_("调解未成，出具诉讼/仲裁材料"),
        n_("履行期限届满仍未确认履行，案件重新处理"),
        n_("履行完毕，自动结案"),
        n_("出具材料"),
        n_("结案"),
    }
)


def event_reason(reason: str) -> str:
    return gettext(reason) if reason in SYSTEM_REASONS else reason
