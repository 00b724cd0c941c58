"""Quality signals over free text: the pure half.

Signals are shown to mediators *with their reasons* and never decide anything by themselves
(产品原则：只提示、不裁决). This module holds what needs only the standard library:

* text folding that makes copies compare equal (NFKC, invisible characters, punctuation
  variants, case, whitespace); Traditional→Simplified needs OpenCC and lives in the adapter;
* character shingles, the unit near-duplicate detection compares;
* the civility vocabulary: categories, their neutral-wording hints, the assessment record;
* review-burst detection over plain records, where time is an argument.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from weiquan.domain.errors import ValidationFailed

# Punctuation that NFKC leaves alone but that people swap freely when they copy and edit text.
_PUNCTUATION_FOLDS = str.maketrans(
    {
        "。": ".",
        "｡": ".",
        "、": ",",
        "，": ",",
        "；": ";",
        "：": ":",
        "？": "?",
        "！": "!",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "「": '"',
        "」": '"',
        "『": '"',
        "』": '"',
        "‘": "'",
        "’": "'",
        "《": "<",
        "》": ">",
        "〈": "<",
        "〉": ">",
        "【": "[",
        "】": "]",
        "〔": "[",
        "〕": "]",
        "〖": "[",
        "〗": "]",
        "（": "(",
        "）": ")",
        "—": "-",
        "–": "-",
        "―": "-",
        "‐": "-",
        "－": "-",
        "～": "~",
        "〜": "~",
        "…": "...",
        "·": ".",
        "・": ".",
    }
)
# Zero-width and byte-order marks are used to dodge word filters and survive copy-paste.
_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")
_WHITESPACE = re.compile(r"\s+")
_REPEATED_PUNCTUATION = re.compile(r"([!?.,~\-])\1+")


def fold_text(text: str) -> str:
    """Fold width, case, punctuation variants and whitespace; keep every letter and digit.

    Full-width ``ＡＢＣ１２３！`` becomes ``abc123!``; ``。`` becomes ``.``; ``……`` and ``！！！``
    collapse to one mark; runs of whitespace become one space.
    """
    folded = unicodedata.normalize("NFKC", text)
    folded = _INVISIBLE.sub("", folded).translate(_PUNCTUATION_FOLDS).casefold()
    folded = _REPEATED_PUNCTUATION.sub(r"\1", folded)
    return _WHITESPACE.sub(" ", folded).strip()


def content_characters(text: str) -> str:
    """Only letters, digits and ideographs: what is left when spacing and symbols are removed.

    ``傻 * 逼`` and ``傻逼`` compare equal after this, which is the point: inserting symbols is
    the commonest way to slip past a word list, and editing punctuation the commonest way to
    disguise a copied complaint.
    """
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def char_shingles(text: str, *, size: int) -> set[str]:
    """The set of ``size``-character substrings; a text shorter than that is its own shingle."""
    if size < 1:
        raise ValidationFailed("shingle size must be at least 1", field="size")
    if len(text) <= size:
        return {text} if text else set()
    return {text[i : i + size] for i in range(len(text) - size + 1)}


def jaccard(left: set[str], right: set[str]) -> float:
    """Exact Jaccard similarity; two empty sets are treated as unrelated, not identical."""
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


class CivilityCategory(StrEnum):
    """Why wording is flagged. Every category has a neutral-wording hint."""

    PROFANITY = "profanity"  # 脏话、粗口
    INSULT = "insult"  # 人身攻击、辱骂对方
    THREAT = "threat"  # 威胁、恐吓
    DISCRIMINATION = "discrimination"  # 地域、性别、民族歧视
    INFLAMMATORY = "inflammatory"  # 未经证实的定性、煽动
    OBSCENE = "obscene"  # 色情、下流
    MODEL = "model"  # the trained model, not a listed term


CATEGORY_HINTS: dict[CivilityCategory, str] = {
    CivilityCategory.PROFANITY: "建议删去粗口，直接写明遇到的问题和希望的处理方式。",
    CivilityCategory.INSULT: (
        "建议把对人的评价换成对事实的描述，例如“商家承诺 48 小时内发货，实际 7 天未发货”。"
    ),
    CivilityCategory.THREAT: (
        "威胁性的话可能让对方拒绝沟通，也可能带来法律风险；建议写明诉求和期限，"
        "例如“请在 7 日内退款，否则我将向市场监管部门投诉”。"
    ),
    CivilityCategory.DISCRIMINATION: (
        "建议不提及对方的地域、性别、民族等身份，只陈述与本次交易有关的事实。"
    ),
    CivilityCategory.INFLAMMATORY: (
        "“骗子”“黑店”等定性需要证据支持；建议描述具体行为，例如“收到的商品与页面描述不符”。"
    ),
    CivilityCategory.OBSCENE: "建议删去与纠纷无关的不雅用语。",
    CivilityCategory.MODEL: (
        "部分措辞可能被对方理解为冒犯。建议只陈述事实（时间、订单、问题）和具体诉求。"
    ),
}
GENERAL_HINT = "注意语气和措辞：陈述事实和诉求，比情绪化的表达更有助于解决纠纷。"


@dataclass(frozen=True, slots=True)
class TermMatch:
    """A listed term found in a statement, with where it came from and how to reword it."""

    term: str
    category: CivilityCategory
    source: str
    suggestion: str | None = None


@dataclass(frozen=True, slots=True)
class CivilityAssessment:
    """The civility check's answer for one statement. ``flagged`` is a hint, never a block."""

    score: float
    flagged: bool
    lexicon_score: float
    model_score: float
    matches: tuple[TermMatch, ...] = ()
    hint: str | None = None

    def categories(self) -> tuple[CivilityCategory, ...]:
        return tuple(dict.fromkeys(match.category for match in self.matches))


def compose_hint(matches: Sequence[TermMatch], *, model_flagged: bool) -> str | None:
    """One Chinese sentence or two telling the writer how to say the same thing neutrally.

    Term-specific suggestions come first (they are the most concrete), then one hint per category,
    so a statement with three insults gets one insult hint, not three.
    """
    parts: list[str] = [
        f"“{match.term}”可改为“{match.suggestion}”。" for match in matches if match.suggestion
    ]
    for category in dict.fromkeys(match.category for match in matches):
        parts.append(CATEGORY_HINTS[category])
    if model_flagged and not matches:
        parts.append(CATEGORY_HINTS[CivilityCategory.MODEL])
    if not parts:
        return None
    return "".join(dict.fromkeys(parts))


class SignalKind(StrEnum):
    NEAR_DUPLICATE = "near_duplicate"  # the same text submitted again, possibly lightly edited
    COPY_PASTE_CAMPAIGN = "copy_paste_campaign"  # one text from several accounts
    SERIAL_CLAIMANT = "serial_claimant"  # one account, similar claims against many merchants
    REVIEW_BURST = "review_burst"  # many reviews of one merchant in a short window


@dataclass(frozen=True, slots=True)
class Signal:
    """Something a mediator should look at, with the reason in plain Chinese and the evidence."""

    kind: SignalKind
    subject_id: str
    reason: str
    record_ids: tuple[str, ...]
    strength: float = 1.0
    details: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TextRecord:
    """A complaint, statement or review as the signals see it: who, about whom, what, when."""

    record_id: str
    author_id: str
    subject_id: str
    text: str
    at: datetime


def detect_review_bursts(
    records: Iterable[TextRecord],
    *,
    window: timedelta,
    min_count: int,
    baseline_days: int = 30,
    min_ratio: float = 5.0,
) -> list[Signal]:
    """Per subject (merchant), windows where reviews arrive far faster than that subject's usual.

    A window is a burst when it holds at least ``min_count`` reviews *and* that count is at least
    ``min_ratio`` times what the subject's average rate over the preceding ``baseline_days``
    would predict. The ratio matters: a big shop gets many reviews every hour, a small one getting
    forty in an afternoon is the pattern of bought reviews (刷单).
    """
    if window <= timedelta(0):
        raise ValidationFailed("the burst window must be positive", field="window")
    by_subject: dict[str, list[TextRecord]] = defaultdict(list)
    for record in records:
        if record.at.tzinfo is None:
            raise ValidationFailed("review times must be timezone-aware", field="at")
        by_subject[record.subject_id].append(record)
    signals: list[Signal] = []
    for subject_id, reviews in by_subject.items():
        reviews.sort(key=lambda r: r.at)
        signals.extend(
            _bursts_of_one_subject(
                subject_id,
                reviews,
                window=window,
                min_count=min_count,
                baseline=timedelta(days=baseline_days),
                min_ratio=min_ratio,
            )
        )
    return signals


def _bursts_of_one_subject(
    subject_id: str,
    reviews: Sequence[TextRecord],
    *,
    window: timedelta,
    min_count: int,
    baseline: timedelta,
    min_ratio: float,
) -> list[Signal]:
    signals: list[Signal] = []
    start = 0
    end = 0
    while start < len(reviews):
        while end < len(reviews) and reviews[end].at - reviews[start].at < window:
            end += 1
        count = end - start
        if count >= min_count:
            expected = _expected_in_window(reviews, start, window=window, baseline=baseline)
            if count >= min_ratio * max(expected, 1e-9):
                signals.append(_burst_signal(subject_id, reviews[start:end], expected, window))
                start = end  # report each burst once, not once per review inside it
                continue
        start += 1
    return signals


def _expected_in_window(
    reviews: Sequence[TextRecord], start: int, *, window: timedelta, baseline: timedelta
) -> float:
    """Reviews the subject's own recent pace predicts for one window starting at ``start``."""
    observed = min(baseline, reviews[start].at - reviews[0].at)
    if observed < window:
        # Too little history to know the usual pace: expect one review per window, so forty
        # reviews in the first hour of a brand-new shop are still worth a look.
        return 1.0
    begin = reviews[start].at - observed
    earlier = start - bisect_left(reviews, begin, hi=start, key=lambda r: r.at)
    return max(earlier * (window / observed), 1.0)


def _burst_signal(
    subject_id: str, burst: Sequence[TextRecord], expected: float, window: timedelta
) -> Signal:
    hours = window.total_seconds() / 3600
    reason = (
        f"{burst[0].at:%Y-%m-%d %H:%M} 起 {hours:g} 小时内收到 {len(burst)} 条评价，"
        f"约为此前平均速度的 {len(burst) / expected:.0f} 倍；"
        f"涉及 {len({r.author_id for r in burst})} 个账号。请核对是否为刷单或集中差评。"
    )
    return Signal(
        kind=SignalKind.REVIEW_BURST,
        subject_id=subject_id,
        reason=reason,
        record_ids=tuple(r.record_id for r in burst),
        strength=min(1.0, len(burst) / (10 * expected)),
        details={"count": str(len(burst)), "expected": f"{expected:.2f}"},
    )
