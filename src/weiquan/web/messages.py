"""How a page shows an error the domain raised: in the page's language, and only in it.

The domain words its errors in Chinese, for logs, the CLI and the API. The ones a person can meet
on a page are listed here for the message extractor, so the English catalogue translates them. An
error without an English entry is never shown in Chinese on an English page: it reads as a
general sentence for its kind instead, so no page ever mixes languages.
"""

from __future__ import annotations

import re

from weiquan.domain.errors import CalendarOutOfRange, DomainError, TooLong
from weiquan.domain.throttle import Refused
from weiquan.web.i18n import current_locale, gettext, n_

# Domain messages that pages show; tests check the domain's wording has not drifted from these.
DOMAIN_MESSAGES = (
    n_("金额不能是负数"),
    n_("金额超出合理范围（上限 1 亿元）"),
    n_("无法识别的金额，请只填数字，例如 299.50"),
    n_("金额必须大于 0"),
    n_("签收时间不能早于下单时间"),
    n_("知道权益受损的日期不能晚于今天"),
    n_("不能为空"),
    n_("含有不可见的控制字符"),
    n_("文件是空的"),
    n_("无法识别的图片，请上传 PNG、JPEG 或 WebP 格式的订单截图"),
    n_("本案已经评价过，每个案件只能评价一次"),
)
# The sentence for an error without a translation, by HTTP status.
FALLBACK = {
    401: n_("请先登录"),
    403: n_("您没有权限进行这项操作"),
    404: n_("找不到该页面"),
    409: n_("这项操作与案件当前的状态不符，请刷新页面后再试"),
    422: n_("这一项填写得不对，请检查后再提交"),
}
_CJK = re.compile(r"[\u3400-\u9fff]")
# "文件是空的 / the file is empty": a Chinese half, then an English half with no Chinese in it.
_PAIR = re.compile(r"^(?P<zh>.*[\u3400-\u9fff][^/]*?) / (?P<en>[^\u3400-\u9fff]+)$", re.S)


def page_message(error: DomainError) -> str:
    """The error's message in the page's language."""
    if isinstance(error, TooLong):
        return too_long_text(error.limit, error.count)
    if isinstance(error, Refused):  # a throttle's refusal: its sentence, with when to retry
        return gettext(error.template) % error.params
    return in_page_language(error.message, error.http_status)


def in_page_language(message: str, status: int = 422) -> str:
    pair = _PAIR.match(message)
    if pair:  # "中文 / English" from the domain: each page shows its own half only
        return pair["zh"] if current_locale() != "en" else pair["en"]
    translated = gettext(message)
    if current_locale() != "en" or not _CJK.search(translated):
        return translated
    return gettext(FALLBACK.get(status, n_("无法完成这项操作，请检查后再试")))


def findings_error(error: DomainError) -> str:
    """What the legal findings panel says when the facts cannot be assessed yet: a plain
    sentence, never the rules engine's own wording (which names its input fields)."""
    if isinstance(error, CalendarOutOfRange):
        return gettext("有的期限要等国家公布下一年的节假日安排后才能算出，其余结论见上。")
    return gettext("上面有内容需要改正，改正后这里会显示法律上的结论。")


def too_long(text: str, limit: int) -> str | None:
    """Refused with the count, rather than cut: a person must know their text did not fit."""
    return too_long_text(limit, len(text)) if len(text) > limit else None


def too_long_text(limit: int, count: int) -> str:
    return gettext("最多 %(limit)s 字，现在有 %(count)s 字，请删减后再提交") % {
        "limit": limit,
        "count": count,
    }
