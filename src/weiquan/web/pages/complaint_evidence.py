"""The wizard's evidence step: files kept before the complaint exists, attached once it is filed.

The signed session cookie holds only references (SHA-256, kind, size, type and a short name),
so a form field cannot point at someone else's file; the bytes wait in the blob store, inert
until a record refers to them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from weiquan.domain.accounts import Principal
from weiquan.domain.errors import DomainError, ValidationFailed
from weiquan.domain.evidence import CaptureMethod
from weiquan.domain.evidence_files import display_filename, human_size
from weiquan.services import evidence as evidence_service
from weiquan.services.context import Services
from weiquan.web.i18n import gettext, n_
from weiquan.web.messages import page_message
from weiquan.web.pages.evidence import UPLOAD_KINDS

SESSION_KEY = "wizard_evidence"
MAX_FILES = 10
MAX_FILE_BYTES = 20 * 1024 * 1024
# Browsers drop cookies above 4 KB; names are cut and the list is capped to stay well below.
_NAME_CHARS = 24
_MAX_JSON_CHARS = 2400
_CHUNK = 1 << 20
_CODES = {
    CaptureMethod.UPLOAD: "u",
    CaptureMethod.CHAT_LOG_IMPORT: "c",
    CaptureMethod.ORDER_IMPORT: "o",
}
_METHODS = {code: method for method, code in _CODES.items()}
KIND_LABELS = {
    CaptureMethod.UPLOAD: n_("普通文件"),
    CaptureMethod.CHAT_LOG_IMPORT: n_("聊天记录导出"),
    CaptureMethod.ORDER_IMPORT: n_("订单导出"),
}


@dataclass(frozen=True, slots=True)
class StagedEvidence:
    sha256: str
    method: CaptureMethod
    size: int
    mime: str
    name: str

    @property
    def short(self) -> str:
        return self.sha256[:12]


def staged(session: MutableMapping[str, Any]) -> list[StagedEvidence]:
    """The files staged so far; anything malformed in the cookie is ignored."""
    items = []
    for entry in session.get(SESSION_KEY) or []:
        with suppress(ValueError, TypeError, KeyError):
            sha, code, size, mime, name = entry
            items.append(StagedEvidence(str(sha), _METHODS[code], int(size), str(mime), str(name)))
    return items


def _encoded(items: list[StagedEvidence]) -> list[list[Any]]:
    return [[i.sha256, _CODES[i.method], i.size, i.mime, i.name] for i in items]


def _save(session: MutableMapping[str, Any], items: list[StagedEvidence]) -> None:
    session[SESSION_KEY] = _encoded(items)


def _limited(read: Callable[[int], bytes]) -> Iterator[bytes]:
    total = 0
    while chunk := read(_CHUNK):
        total += len(chunk)
        if total > MAX_FILE_BYTES:
            message = gettext("每个文件不能超过 %(num)s MB") % {"num": MAX_FILE_BYTES >> 20}
            raise ValidationFailed(message, field="evidence_file")
        yield chunk


def stage_upload(
    svc: Services,
    session: MutableMapping[str, Any],
    *,
    kind: str,
    filename: str,
    read: Callable[[int], bytes],
) -> str | None:
    """Stages one file (type-checked from its bytes, size-limited, imports parsed); the refusal."""
    items = staged(session)
    if len(items) >= MAX_FILES:
        return gettext("最多只能添加 %(num)s 个文件") % {"num": MAX_FILES}
    if not filename:
        return gettext("请选择要上传的文件")
    method = next((m for m in _CODES if m.value == kind), CaptureMethod.UPLOAD)
    try:
        blob = evidence_service.stage_file(svc, _limited(read))
        # A chat log or order export that cannot be read is refused here, while the form is
        # still open, rather than after the complaint has been filed.
        evidence_service.check_staged_import(svc, method, blob)
    except DomainError as exc:
        return page_message(exc)
    if any(i.sha256 == blob.sha256 for i in items):
        return gettext("这个文件已经添加过了")
    name = display_filename(filename, max_length=_NAME_CHARS)
    items.append(StagedEvidence(blob.sha256, method, blob.size, blob.mime, name))
    if len(json.dumps(_encoded(items))) > _MAX_JSON_CHARS:
        return gettext("已添加的文件太多，请先提交投诉，再在案件页面补充证据")
    _save(session, items)
    return None


def remove(session: MutableMapping[str, Any], short: str) -> None:
    _save(session, [i for i in staged(session) if i.short != short])


def attach_all(
    svc: Services, session: MutableMapping[str, Any], who: Principal, now: Any, case_id: str
) -> None:
    """Attaches every staged file to the new case, each with the capture method chosen for it."""
    items = staged(session)
    session.pop(SESSION_KEY, None)
    for item in items:
        # The complaint stands if one file fails; the case page offers the upload again.
        with suppress(DomainError):
            evidence_service.add_staged_evidence(
                svc,
                case_id=case_id,
                sha256=item.sha256,
                filename=item.name,
                principal=who,
                now=now,
                method=item.method,
                description=gettext("提交投诉时上传"),
            )


def step_context(session: MutableMapping[str, Any], kind: str = "") -> dict[str, Any]:
    return {
        "staged_evidence": staged(session),
        "max_evidence": MAX_FILES,
        "evidence_kinds": UPLOAD_KINDS,
        "evidence_kind": kind or CaptureMethod.UPLOAD.value,
        "evidence_kind_label": lambda m: gettext(KIND_LABELS[m]),
        "human_size": human_size,
    }
