"""The statute knowledge base (``weiquan/data/statutes.yaml``): loading, lookup and search.

Search folds the query and the text the same way (NFKC, case folding, Traditional → Simplified by
OpenCC's ``t2s``) so that 「消費者權益」 finds 消费者权益 and ＡＢＣ finds abc.  A query is split on
spaces; every term must match.  A term matches as a substring, or, for Chinese phrases that are
worded differently (七日无理由退货 vs 7日无理由退货), by sharing most of its character bigrams.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib.resources import files
from typing import Any

import opencc
import yaml

from weiquan.domain.errors import IntegrityViolation, NotFound

_ARTICLE_QUERY = re.compile(r"^第?(\d+)条?$")
_BIGRAM_SHARE_NEEDED = 0.6


@dataclass(frozen=True, slots=True)
class StatuteArticle:
    law: str
    law_name_zh: str
    law_short_zh: str
    law_name_en: str
    article: str
    summary_zh: str
    summary_en: str
    keywords: tuple[str, ...]
    effective_from: date | None
    dates_unverified: bool
    source: str
    source_ref: str
    unverified: bool
    note: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "law": self.law,
            "law_name_zh": self.law_name_zh,
            "law_short_zh": self.law_short_zh,
            "law_name_en": self.law_name_en,
            "article": self.article,
            "summary_zh": self.summary_zh,
            "summary_en": self.summary_en,
            "keywords": list(self.keywords),
            "effective_from": self.effective_from.isoformat() if self.effective_from else None,
            "dates_unverified": self.dates_unverified,
            "source": self.source,
            "source_ref": self.source_ref,
            "unverified": self.unverified,
            "note": self.note,
        }


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    """The one folding applied to queries and texts alike."""
    return _t2s().convert(unicodedata.normalize("NFKC", text).casefold())


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


class StatuteBook:
    """All articles, looked up by (law, article) and searchable in either script."""

    def __init__(self, articles: list[StatuteArticle]) -> None:
        self.articles = tuple(articles)
        self._by_key = {(a.law, a.article): a for a in self.articles}
        if len(self._by_key) != len(self.articles):
            raise IntegrityViolation("statutes.yaml lists an article twice")
        self._haystacks = [_Haystack.of(a) for a in self.articles]

    def get(self, law: str, article: str) -> StatuteArticle:
        found = self._by_key.get((law, article))
        if found is None:
            raise NotFound(
                f"没有找到 {law} 第 {article} 条 / no article {article} of {law}", field="article"
            )
        return found

    def has(self, law: str, article: str) -> bool:
        return (law, article) in self._by_key

    def search(self, query: str, *, limit: int = 50) -> list[StatuteArticle]:
        terms = normalise(query).split()
        if not terms:
            return list(self.articles[:limit])
        scored = []
        for position, (article, haystack) in enumerate(
            zip(self.articles, self._haystacks, strict=True)
        ):
            score = _score(terms, article, haystack)
            if score > 0:
                scored.append((-score, position, article))
        scored.sort(key=lambda item: (item[0], item[1]))
        return [article for _, _, article in scored[:limit]]


@dataclass(frozen=True, slots=True)
class _Haystack:
    """Folded text of one article: its own words weigh more than its law's name."""

    own: str
    law: str
    grams: frozenset[str]

    @classmethod
    def of(cls, article: StatuteArticle) -> _Haystack:
        own = normalise(" ".join((article.summary_zh, article.summary_en, *article.keywords)))
        law = normalise(
            " ".join((article.law, article.law_name_zh, article.law_short_zh, article.law_name_en))
        )
        return cls(own=own, law=law, grams=frozenset(_bigrams(own) | _bigrams(law)))


def _score(terms: list[str], article: StatuteArticle, haystack: _Haystack) -> float:
    """The sum of the terms' scores, or 0 when any term does not match at all."""
    total = 0.0
    for term in terms:
        term_score = _term_score(term, article, haystack)
        if term_score == 0:
            return 0.0
        total += term_score
    return total


def _is_chinese(term: str) -> bool:
    return any("\u3400" <= char <= "\u9fff" for char in term)


def _term_score(term: str, article: StatuteArticle, haystack: _Haystack) -> float:
    number = _ARTICLE_QUERY.match(term)
    if number:
        digits = number[1]
        key = article.article
        if key == digits or key.startswith(f"{digits}(") or key.split("-")[0] == digits:
            return 3.0
        return 0.0
    if term in haystack.own:
        return 2.0 + min(haystack.own.count(term), 5) * 0.1
    if term in haystack.law:
        return 1.0
    # Fuzzy matching only for Chinese: English words would match on stray letter pairs.
    wanted = _bigrams(term)
    if not _is_chinese(term) or len(wanted) < 2:
        return 0.0
    share = len(wanted & haystack.grams) / len(wanted)
    return share if share >= _BIGRAM_SHARE_NEEDED else 0.0


def _articles_from(document: dict[str, Any]) -> list[StatuteArticle]:
    articles = []
    for law in document["laws"]:
        for entry in law["articles"]:
            articles.append(
                StatuteArticle(
                    law=law["id"],
                    law_name_zh=law["name_zh"],
                    law_short_zh=law["short_zh"],
                    law_name_en=law["name_en"],
                    article=str(entry["article"]),
                    summary_zh=entry["summary_zh"],
                    summary_en=entry["summary_en"],
                    keywords=tuple(str(k) for k in entry.get("keywords", ())),
                    effective_from=law.get("effective_from"),
                    dates_unverified=bool(law.get("dates_unverified", False)),
                    source=law["source"],
                    source_ref=law["source_ref"],
                    unverified=bool(entry.get("unverified", False)),
                    note=entry.get("note"),
                )
            )
    return articles


@lru_cache(maxsize=1)
def statute_book() -> StatuteBook:
    """The packaged knowledge base, parsed once per process."""
    text = files("weiquan.data").joinpath("statutes.yaml").read_text(encoding="utf-8")
    return StatuteBook(_articles_from(yaml.safe_load(text)))
