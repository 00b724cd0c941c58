"""The civility check: a word list with categories and hints, plus a small trained model.

Both halves read files shipped in ``weiquan/data/civility`` (see the NOTICE there for sources
and licences); nothing is fetched at run time. The model is a logistic regression over character
1–3-grams, scored in pure Python from a JSON table of weights, so inference needs no numeric
library and explains itself: the n-grams that pushed the score up are reported with it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from weiquan.adapters.text.normaliser import content_key
from weiquan.domain.errors import IntegrityViolation
from weiquan.domain.text_signals import (
    CivilityAssessment,
    CivilityCategory,
    TermMatch,
    compose_hint,
)

MODEL_FORMAT = "weiquan-civility-char-ngram-lr/1"
DATA_PACKAGE = "weiquan.data.civility"
DEFAULT_FLAG_THRESHOLD = 0.5
DEFAULT_MODEL_THRESHOLD = 0.8
# How strongly one listed term counts, by category. A threat or slur is enough on its own;
# "inflammatory" words such as 骗子 are often fair descriptions in a complaint, so one of them
# alone stays below the flag threshold and two together reach it.
CATEGORY_WEIGHTS: Mapping[CivilityCategory, float] = {
    CivilityCategory.PROFANITY: 0.9,
    CivilityCategory.INSULT: 0.8,
    CivilityCategory.THREAT: 0.9,
    CivilityCategory.DISCRIMINATION: 0.8,
    CivilityCategory.OBSCENE: 0.7,
    CivilityCategory.INFLAMMATORY: 0.35,
}


def char_ngrams(key: str, orders: Iterable[int] = (1, 2, 3)) -> set[str]:
    """Distinct character n-grams of a content key (see :func:`content_key`)."""
    grams: set[str] = set()
    for order in orders:
        grams.update(key[i : i + order] for i in range(len(key) - order + 1))
    return grams


@dataclass(frozen=True, slots=True)
class LexiconEntry:
    term: str
    category: CivilityCategory
    source: str
    suggestion: str | None = None


class Lexicon:
    """Listed terms, matched on content keys so spacing, symbols and script do not hide them."""

    def __init__(self, entries: Iterable[LexiconEntry]) -> None:
        self._entries: dict[str, LexiconEntry] = {}
        for entry in entries:
            key = content_key(entry.term)
            if key and key not in self._entries:
                self._entries[key] = entry
        self._lengths = sorted({len(key) for key in self._entries}, reverse=True)

    def __len__(self) -> int:
        return len(self._entries)

    def find(self, key: str) -> list[TermMatch]:
        """Longest-first, non-overlapping matches in a content key, in order of appearance."""
        matches: list[TermMatch] = []
        position = 0
        while position < len(key):
            entry = self._longest_at(key, position)
            if entry is None:
                position += 1
                continue
            matches.append(TermMatch(entry.term, entry.category, entry.source, entry.suggestion))
            position += len(content_key(entry.term))
        return matches

    def _longest_at(self, key: str, position: int) -> LexiconEntry | None:
        for length in self._lengths:
            entry = self._entries.get(key[position : position + length])
            if entry is not None and _stands_alone(key, position, length):
                return entry
        return None


def _stands_alone(key: str, position: int, length: int) -> bool:
    """Latin abbreviations (tmd, cnm) count only when not inside a longer Latin run (型号 cnm3)."""
    term = key[position : position + length]
    if not term.isascii():
        return True
    before = key[position - 1] if position > 0 else ""
    after = key[position + length] if position + length < len(key) else ""
    return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())


def lexicon_score(matches: Iterable[TermMatch]) -> float:
    """Noisy-or of the category weights: each further term adds to the evidence."""
    keep = 1.0
    for match in matches:
        keep *= 1.0 - CATEGORY_WEIGHTS.get(match.category, 0.5)
    return 1.0 - keep


class NgramModel:
    """Logistic regression over distinct character n-grams, L2-scaled by the n-gram count."""

    def __init__(self, *, weights: Mapping[str, float], bias: float, orders: tuple[int, ...]):
        self._weights = dict(weights)
        self._bias = bias
        self._orders = orders

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> NgramModel:
        if document.get("format") != MODEL_FORMAT:
            raise IntegrityViolation(f"not a {MODEL_FORMAT} model: {document.get('format')!r}")
        return cls(
            weights=document["weights"],
            bias=float(document["bias"]),
            orders=tuple(document["orders"]),
        )

    def __len__(self) -> int:
        return len(self._weights)

    def score(self, key: str) -> float:
        grams = char_ngrams(key, self._orders)
        if not grams:
            return _sigmoid(self._bias)
        total = sum(self._weights.get(gram, 0.0) for gram in grams)
        return _sigmoid(self._bias + total / math.sqrt(len(grams)))

    def strongest(self, key: str, *, limit: int = 3) -> list[str]:
        """The n-grams that pushed this text's score up the most: the model's reasons."""
        grams = char_ngrams(key, self._orders)
        positive = [(self._weights[g], g) for g in grams if self._weights.get(g, 0.0) > 0]
        positive.sort(reverse=True)
        return [gram for _, gram in positive[:limit]]


def _sigmoid(value: float) -> float:
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    exp = math.exp(value)
    return exp / (1.0 + exp)


class CivilityChecker:
    """Scores a statement 0..1, flags it at a threshold, and says why and how to reword it.

    The score is the noisy-or of the word-list evidence and the model's evidence, so either can
    raise a flag: the list catches plain insults and threats against a merchant that the model
    (trained on other kinds of offensive speech) has never seen, and the model catches hostile
    phrasing that no list anticipates.

    The model learned COLD, where negative wording about a group is the offence; on complaints
    it also reacts to plain negative wording (坏, 骗, 死机). So its probability is shifted on the
    logit scale to count as 0.5 only at ``model_threshold`` (0.8 by default): alone it flags only
    confident cases, and a moderate score still adds to a listed term. ``docs/quality.md`` shows
    the trade-off this buys: fewer flags on civil negative reviews, lower recall on COLD.
    """

    def __init__(
        self,
        *,
        lexicon: Lexicon,
        model: NgramModel | None,
        threshold: float = DEFAULT_FLAG_THRESHOLD,
        model_threshold: float = DEFAULT_MODEL_THRESHOLD,
    ) -> None:
        self.lexicon = lexicon
        self.model = model
        self.threshold = threshold
        self.model_threshold = model_threshold

    def assess(self, text: str) -> CivilityAssessment:
        key = content_key(text)
        matches = self.lexicon.find(key)
        from_lexicon = lexicon_score(matches)
        from_model = self.model.score(key) if self.model is not None else 0.0
        model_evidence = _shift(from_model, to_half_at=self.model_threshold)
        score = 1.0 - (1.0 - from_lexicon) * (1.0 - model_evidence)
        flagged = score >= self.threshold
        model_flagged = from_model >= self.model_threshold
        return CivilityAssessment(
            score=round(score, 4),
            flagged=flagged,
            lexicon_score=round(from_lexicon, 4),
            model_score=round(from_model, 4),
            matches=tuple(matches),
            hint=compose_hint(matches, model_flagged=model_flagged) if flagged else None,
        )

    def model_reasons(self, text: str) -> list[str]:
        return [] if self.model is None else self.model.strongest(content_key(text))


def _shift(probability: float, *, to_half_at: float) -> float:
    """Move a probability on the logit scale so that ``to_half_at`` becomes 0.5."""
    if probability <= 0.0:
        return 0.0
    if probability >= 1.0:
        return 1.0
    return _sigmoid(_logit(probability) - _logit(to_half_at))


def _logit(probability: float) -> float:
    return math.log(probability / (1.0 - probability))


def load_lexicon_entries(text: str, *, source: str) -> list[LexiconEntry]:
    """Entries from a YAML lexicon: ``categories: {name: {terms: [term | {term, suggestion}]}}``."""
    document = yaml.safe_load(text)
    entries: list[LexiconEntry] = []
    for name, body in document["categories"].items():
        category = CivilityCategory(name)
        for item in body["terms"]:
            if isinstance(item, str):
                entries.append(LexiconEntry(item, category, source))
            else:
                entries.append(LexiconEntry(item["term"], category, source, item.get("suggestion")))
    return entries


def load_word_list(text: str, *, category: CivilityCategory, source: str) -> list[LexiconEntry]:
    """Entries from a plain list, one term a line; ``#`` starts a comment."""
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [LexiconEntry(line, category, source) for line in lines if line]


def _data_text(name: str) -> str:
    return resources.files(DATA_PACKAGE).joinpath(name).read_text(encoding="utf-8")


def shipped_lexicon() -> Lexicon:
    """The project's complaint lexicon first (its categories and hints win), then LDNOOBW."""
    own = load_lexicon_entries(_data_text("lexicon_zh.yaml"), source="weiquan")
    # A few LDNOOBW entries are ordinary words in a shopping dispute (乳 in 乳液, 奶 …).
    ignored = {line.strip() for line in _data_text("ldnoobw_zh_ignored.txt").splitlines()}
    ldnoobw = [
        entry
        for entry in load_word_list(
            _data_text("ldnoobw_zh.txt"), category=CivilityCategory.OBSCENE, source="LDNOOBW"
        )
        if entry.term not in ignored
    ]
    return Lexicon([*own, *ldnoobw])


def shipped_model() -> NgramModel:
    return NgramModel.from_json(json.loads(_data_text("model_cold_char_ngram_lr.json")))


@lru_cache(maxsize=1)
def default_checker() -> CivilityChecker:
    """The checker built from the shipped files; built once per process (about 0.2 s)."""
    return CivilityChecker(lexicon=shipped_lexicon(), model=shipped_model())
