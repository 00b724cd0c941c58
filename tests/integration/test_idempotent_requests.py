"""The key-holding rules behind Idempotency-Key, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.support.world import NOW, World
from weiquan.domain.errors import Conflict, IdempotencyMismatch
from weiquan.services import idempotency
from weiquan.services.context import Services
from weiquan.services.idempotency import ABANDONED_AFTER, KEPT_FOR, Answer, KeyedRequest


def request(world: World, body_hash: str = "h1") -> KeyedRequest:
    return KeyedRequest(world.alice.user_id, "k-1", body_hash, world.alice.user_id)


def test_a_retry_while_the_first_is_being_answered_is_told_to_wait(
    services: Services, world: World
) -> None:
    assert idempotency.begin(services, request(world), now=NOW) is None
    with pytest.raises(Conflict) as waiting:
        idempotency.begin(services, request(world), now=NOW)
    assert not isinstance(waiting.value, IdempotencyMismatch)
    assert waiting.value.field == "Idempotency-Key"


def test_a_key_abandoned_by_a_crashed_request_is_taken_over_after_a_while(
    services: Services, world: World
) -> None:
    idempotency.begin(services, request(world), now=NOW)
    assert idempotency.begin(services, request(world), now=NOW + ABANDONED_AFTER) is None
    idempotency.finish(services, request(world), Answer(201, b'{"id": "r1"}'))
    assert idempotency.begin(services, request(world), now=NOW + ABANDONED_AFTER) == Answer(
        201, b'{"id": "r1"}'
    )


def test_an_answer_is_replayed_for_a_day_and_then_forgotten(
    services: Services, world: World
) -> None:
    idempotency.begin(services, request(world), now=NOW)
    idempotency.finish(services, request(world), Answer(200, b"{}"))
    with pytest.raises(IdempotencyMismatch):
        idempotency.begin(services, request(world, "h2"), now=NOW)
    later = NOW + KEPT_FOR + ABANDONED_AFTER
    assert idempotency.begin(services, request(world, "h2"), now=later) is None
