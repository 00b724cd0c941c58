"""Complaints sent at the same moment are filed together, and each request gets its own answer."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Coroutine
from dataclasses import replace
from typing import Any, TypeVar

import httpx
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.e2e import conftest as e2e
from tests.e2e.test_api import complaint_body, count_rows
from tests.support.world import NOW, PASSWORD, World
from weiquan.adapters.db import tables as t
from weiquan.bootstrap import App
from weiquan.services.context import Services
from weiquan.services.ports import UnitOfWork, UnitOfWorkFactory
from weiquan.web.app import create_app
from weiquan.web.intake import IntakeQueue

T = TypeVar("T")


class Gate:
    """A unit-of-work factory that, once armed, holds the next writer until it is opened: the
    filing thread is kept busy while more requests arrive behind it."""

    def __init__(self, inner: UnitOfWorkFactory) -> None:
        self._inner = inner
        self._armed = False
        self.entered = threading.Event()
        self._open = threading.Event()

    def arm(self) -> None:
        self._armed = True

    def open(self) -> None:
        self._open.set()

    def __call__(self, *, readonly: bool = False) -> UnitOfWork:
        if self._armed and not readonly:
            self._armed = False
            self.entered.set()
            assert self._open.wait(timeout=30)
        return self._inner(readonly=readonly)


def run_async(scenario: Coroutine[Any, Any, T]) -> T:
    """Runs the scenario on a fresh event loop in its own thread: a browser test earlier in this
    process may have left Playwright's loop running on the main thread."""
    outcome: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            outcome.append(asyncio.run(scenario))
        except BaseException as exc:  # noqa: BLE001 - re-raised on the test's own thread
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return outcome[0]


async def _until(condition: Any, what: str) -> None:
    for _ in range(3000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting until {what}")


async def _token(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def gated_app(
    database_url: str, engine: sa.Engine, services: Services
) -> tuple[FastAPI, Gate, IntakeQueue]:
    gate = Gate(services.uow)
    context = App(e2e.test_settings(database_url), engine, replace(services, uow=gate))
    app = create_app(context, clock=lambda: NOW)
    return app, gate, app.state.intake


def test_requests_that_arrive_while_a_group_is_written_are_filed_as_the_next_group(
    database_url: str, engine: sa.Engine, services: Services, world: World
) -> None:
    app, gate, intake = gated_app(database_url, engine, services)

    async def scenario() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            alice, bob = await _token(client, "alice"), await _token(client, "bob")
            merchant = await _token(client, "merchant-a")
            gate.arm()
            bodies = [
                (complaint_body(world, title="先到的一件"), alice),
                *[(complaint_body(world, title=f"第 {n} 件"), bob) for n in range(8)],
                (complaint_body(world, shop_id="no-such-shop"), alice),
                (complaint_body(world), merchant),
                (complaint_body(world, title="最后一件"), alice),
            ]
            sent = [
                asyncio.create_task(client.post("/api/v1/cases", json=body, headers=who))
                for body, who in bodies[:1]
            ]
            await _until(gate.entered.is_set, "the first complaint is being written")
            sent += [
                asyncio.create_task(client.post("/api/v1/cases", json=body, headers=who))
                for body, who in bodies[1:]
            ]
            await _until(lambda: intake.waiting == len(bodies) - 1, "the rest are queued")
            gate.open()
            return list(await asyncio.gather(*sent))

    responses = run_async(scenario())
    intake.close()
    statuses = [r.status_code for r in responses]
    assert statuses == [201] * 9 + [422, 403, 201]
    assert responses[9].json()["field"] == "shop_id"
    assert (intake.groups_filed, intake.largest_group) == (2, 11)
    assert len({r.json()["id"] for r in responses if r.status_code == 201}) == 10
    assert [r.json()["title"] for r in responses[1:3]] == ["第 0 件", "第 1 件"]
    assert count_rows(engine, t.cases) == 10


def test_an_idempotent_retry_sent_alongside_the_first_attempt_files_one_case(
    client: TestClient, engine: sa.Engine, world: World
) -> None:
    intake: IntakeQueue = client.app.state.intake  # type: ignore[attr-defined]
    response = client.post("/api/v1/auth/token", json={"username": "alice", "password": PASSWORD})
    headers = {
        "Authorization": f"Bearer {response.json()['access_token']}",
        "Idempotency-Key": "double-click",
    }

    async def both() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            body = complaint_body(world)
            return list(
                await asyncio.gather(
                    *(c.post("/api/v1/cases", json=body, headers=headers) for _ in range(2))
                )
            )

    first, second = run_async(both())
    assert sorted([first.status_code, second.status_code]) == [200, 201]
    assert first.json()["id"] == second.json()["id"]
    assert count_rows(engine, t.cases) == count_rows(engine, t.idempotency_keys) == 1
    assert intake.groups_filed >= 1


def test_closing_the_queue_files_what_was_waiting_and_then_refuses_more(
    database_url: str, engine: sa.Engine, services: Services, world: World
) -> None:
    app, gate, intake = gated_app(database_url, engine, services)

    async def scenario() -> tuple[list[httpx.Response], httpx.Response]:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            alice = await _token(client, "alice")
            gate.arm()

            def send() -> asyncio.Task[httpx.Response]:
                return asyncio.create_task(
                    client.post("/api/v1/cases", json=complaint_body(world), headers=alice)
                )

            sent = [send()]
            await _until(gate.entered.is_set, "the first complaint is being written")
            sent += [send(), send()]
            await _until(lambda: intake.waiting == 2, "the other two are queued")
            closing = asyncio.get_running_loop().run_in_executor(None, intake.close)
            gate.open()
            await closing
            late = await client.post("/api/v1/cases", json=complaint_body(world), headers=alice)
            return list(await asyncio.gather(*sent)), late

    filed, late = run_async(scenario())
    assert [r.status_code for r in filed] == [201, 201, 201]
    assert late.status_code == 503
    assert "重试" in late.json()["message"]
    assert count_rows(engine, t.cases) == 3


class HeldCommit:
    """A unit-of-work factory that, once armed, holds the next write transaction at its commit
    until released, and counts the read snapshots the intake's preparing thread opens."""

    def __init__(self, inner: UnitOfWorkFactory) -> None:
        self._inner = inner
        self._armed = False
        self.committing = threading.Event()
        self.release = threading.Event()
        self.prepared = 0

    def __call__(self, *, readonly: bool = False) -> UnitOfWork:
        if readonly:
            if threading.current_thread().name == "weiquan-intake":
                self.prepared += 1
            return self._inner(readonly=True)
        if not self._armed:
            return self._inner()
        self._armed = False
        return _CommitHeld(self._inner(), self)  # type: ignore[return-value]

    def arm(self) -> None:
        self._armed = True


class _CommitHeld:
    def __init__(self, inner: UnitOfWork, hold: HeldCommit) -> None:
        self._inner = inner
        self._hold = hold

    def __enter__(self) -> _CommitHeld:
        self._inner.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._inner.__exit__(*exc)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def commit(self) -> None:
        self._hold.committing.set()
        assert self._hold.release.wait(timeout=30)
        self._inner.commit()


def test_the_next_group_is_prepared_while_the_previous_one_commits(
    database_url: str, engine: sa.Engine, services: Services, world: World
) -> None:
    hold = HeldCommit(services.uow)
    context = App(e2e.test_settings(database_url), engine, replace(services, uow=hold))
    app = create_app(context, clock=lambda: NOW)
    intake: IntakeQueue = app.state.intake

    async def scenario() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            alice = await _token(client, "alice")
            hold.arm()

            def send(title: str) -> asyncio.Task[httpx.Response]:
                body = complaint_body(world, title=title)
                return asyncio.create_task(client.post("/api/v1/cases", json=body, headers=alice))

            sent = [send("先到的一件")]
            await _until(hold.committing.is_set, "the first group is committing")
            sent += [send("后到的一件")]
            await _until(lambda: hold.prepared == 2, "the second group is prepared meanwhile")
            assert not any(task.done() for task in sent)
            hold.release.set()
            return list(await asyncio.gather(*sent))

    responses = run_async(scenario())
    intake.close()
    assert [r.status_code for r in responses] == [201, 201]
    assert [r.json()["title"] for r in responses] == ["先到的一件", "后到的一件"]
    assert (intake.groups_filed, intake.largest_group) == (2, 1)
    assert count_rows(engine, t.cases) == 2


def test_a_running_server_keeps_start_up_objects_out_of_the_collectors_way(
    client: TestClient,
) -> None:
    assert gc.get_freeze_count() > 0  # the client fixture has started the app


def test_a_stopped_server_hands_its_objects_back_to_the_collector(
    database_url: str, engine: sa.Engine, services: Services
) -> None:
    with TestClient(create_app(App(e2e.test_settings(database_url), engine, services))):
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
