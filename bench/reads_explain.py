"""What the PostgreSQL server spends on each case list: EXPLAIN (ANALYZE, BUFFERS) of every
statement of a list page, all segments (as on the page where the cases with a deadline run out).

    .venv/bin/python bench/reads_explain.py [URL]

URL defaults to the database bench/reads.py leaves behind (weiquan_bench_reads). Server time
and buffers do not move with the neighbours' load the way wall-clock does.
"""

from __future__ import annotations

import sys

import sqlalchemy as sa

from weiquan.adapters.db import case_lists
from weiquan.domain.lifecycle import CaseStatus
from weiquan.services.ports import CaseFilter, CasePosition, MediatorPart

URL = "postgresql+psycopg://postgres@127.0.0.1:5432/weiquan_bench_reads"


def scopes(conn: sa.Connection) -> dict[str, CaseFilter]:
    users = dict(conn.execute(sa.text("SELECT username, id FROM users")).all())
    merchant = conn.execute(
        sa.text("SELECT merchant_id FROM users WHERE username = 'merchant-a'")
    ).scalar_one()
    alice = users["alice"]
    deep = conn.execute(
        sa.text(
            "SELECT next_due_at, created_at, id FROM cases WHERE consumer_id = :u "
            "ORDER BY id LIMIT 1 OFFSET 1000"
        ),
        {"u": alice},
    ).one()
    after = CasePosition(deep.next_due_at, deep.created_at, deep.id)
    negotiation, mediation = (CaseStatus.NEGOTIATION,), (CaseStatus.MEDIATION,)
    mediator = users["mediator"]
    return {
        "consumer": CaseFilter(consumer_id=alice),
        "consumer, negotiation": CaseFilter(consumer_id=alice, statuses=negotiation),
        "consumer, fulfilled and closed": CaseFilter(
            consumer_id=alice, statuses=(CaseStatus.FULFILLED, CaseStatus.CLOSED)
        ),
        "consumer, 1,000 cases deep": CaseFilter(consumer_id=alice, after=after),
        "merchant": CaseFilter(merchant_id=merchant),
        "merchant, negotiation": CaseFilter(merchant_id=merchant, statuses=negotiation),
        "mediator (own and unassigned)": CaseFilter(mediator_or_queue=mediator),
        "mediator, own in mediation": CaseFilter(
            mediator_or_queue=mediator, mediator_part=MediatorPart.MINE, statuses=mediation
        ),
        "mediator, unassigned": CaseFilter(
            mediator_or_queue=mediator, mediator_part=MediatorPart.WAITING
        ),
        "regulator, province 11": CaseFilter(region_prefix="11"),
        "regulator, city 5101, closed": CaseFilter(
            region_prefix="5101", statuses=(CaseStatus.CLOSED,)
        ),
        "admin": CaseFilter(),
        "admin, negotiation": CaseFilter(statuses=negotiation),
        "admin, from a cursor": CaseFilter(after=after),
    }


def main() -> None:
    engine = sa.create_engine(sys.argv[1] if len(sys.argv) > 1 else URL)
    with engine.connect() as conn:
        total = conn.execute(sa.text("SELECT count(*) FROM cases")).scalar_one()
        print(
            f"{total:,} cases\n| list | statements | server time | buffers |\n|---|---:|---:|---:|"
        )
        for name, scope in scopes(conn).items():
            spent, buffers, sent = 0.0, 0, 0
            for arm in case_lists.arms(scope):
                for segment in case_lists.segments(scope.after):
                    statement = case_lists.statement(arm, segment, 51).compile(
                        dialect=engine.dialect,
                        compile_kwargs={"literal_binds": True, "render_postcompile": True},
                    )
                    plan = conn.exec_driver_sql(
                        f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {statement}"
                    ).scalar_one()[0]
                    spent += plan["Execution Time"]
                    top = plan["Plan"]
                    buffers += top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0)
                    sent += 1
            print(f"| {name} | {sent} | {spent:.2f} ms | {buffers:,} |")


if __name__ == "__main__":
    main()
