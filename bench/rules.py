"""Rules-engine throughput: assessments per second over a realistic mix of facts.

    .venv/bin/python bench/rules.py [--seconds 3]

Each assessment is the full path an API call takes: parse the JSON-like facts, run every rule on
the real Chinese working-day calendar, and build the output dict.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta
from typing import Any

from weiquan.adapters.holiday_calendar import ChinaWorkdayCalendar
from weiquan.domain.rules import MemoisedCalendar
from weiquan.services.rules import assess_facts

TODAY = date(2026, 11, 25)


def _day(rng: random.Random, back_from: date, max_days: int) -> date:
    return back_from - timedelta(days=rng.randint(0, max_days))


def _consumer_purchase(rng: random.Random) -> dict[str, Any]:
    signed = _day(rng, TODAY, 60)
    notice = signed + timedelta(days=rng.randint(0, 10))
    facts: dict[str, Any] = {
        "today": TODAY.isoformat(),
        "channel": rng.choice(["online", "online", "tv", "offline"]),
        "goods": rng.choice(
            [
                "general",
                "general",
                "food",
                "durable",
                "custom_made",
                "hygiene_unsealed",
                "fresh_perishable",
            ]
        ),
        "consumer_confirmed_exclusion": rng.random() < 0.3,
        "price_paid_fen": rng.randint(500, 500_000),
        "signed_at": signed.isoformat(),
        "problem": rng.choice(
            [
                "none",
                "quality_defect",
                "not_as_described",
                "fraud",
                "unsafe_food",
                "label_flaw_only",
                "late_delivery",
            ]
        ),
        "knew_of_harm_at": signed.isoformat(),
    }
    if notice <= TODAY:
        facts["return_notice_at"] = notice.isoformat()
        back = notice + timedelta(days=rng.randint(1, 6))
        if back <= TODAY and rng.random() < 0.6:
            facts["goods_received_back_at"] = back.isoformat()
            refunded = back + timedelta(days=rng.randint(0, 20))
            if refunded <= TODAY and rng.random() < 0.5:
                facts["refunded_at"] = refunded.isoformat()
    return facts


def _prepaid(rng: random.Random) -> dict[str, Any]:
    paid = rng.randint(10_000, 500_000)
    bonus = rng.randint(0, paid)
    return {
        "today": TODAY.isoformat(),
        "goods": "prepaid_service",
        "prepaid": {
            "paid_fen": paid,
            "bonus_fen": bonus,
            "used_face_value_fen": rng.randint(0, paid + bonus),
            "consumer_at_fault": rng.random() < 0.3,
            "paid_at": _day(rng, TODAY, 300).isoformat(),
        },
    }


def _brand(rng: random.Random) -> dict[str, Any]:
    return {
        "today": TODAY.isoformat(),
        "ip_counter_notice": {"reached_right_holder_at": _day(rng, TODAY, 40).isoformat()},
        "trademark": {
            "actual_loss_fen": rng.randint(0, 10**8),
            "bad_faith_serious": True,
            "punitive_multiple": rng.choice([1, 2, 3.5, 5]),
        },
        "resale_price": {
            "clause": rng.choice(["fixed", "minimum", "maximum", "non_price"]),
            "market_share_percent": rng.choice([2, 10, 30]),
            "prior_year_sales_fen": rng.randint(0, 10**11),
        },
    }


def facts_mix(count: int, seed: int = 20261125) -> list[dict[str, Any]]:
    """Mostly consumer purchases, some prepaid cards, a few brand matters."""
    rng = random.Random(seed)
    makers = [_consumer_purchase] * 8 + [_prepaid, _brand]
    return [rng.choice(makers)(rng) for _ in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="how long to measure")
    parser.add_argument(
        "--no-cache",
        dest="cache",
        action="store_false",
        help="ask chinese-calendar directly instead of through MemoisedCalendar",
    )
    args = parser.parse_args()
    calendar = MemoisedCalendar(ChinaWorkdayCalendar()) if args.cache else ChinaWorkdayCalendar()
    mix = facts_mix(2_000)
    for facts in mix[:200]:  # warm up
        assess_facts(facts, calendar=calendar)
    done, started, cpu_started = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - started < args.seconds:
        for facts in mix:
            assess_facts(facts, calendar=calendar)
        done += len(mix)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    label = "memoised calendar" if args.cache else "uncached calendar"
    # CPU time is what one core of this machine can do; wall time also shows other load.
    print(
        f"{label}: {done} assessments, {done / cpu:,.0f}/s per CPU-second "
        f"({cpu / done * 1e6:.1f} µs each), {done / elapsed:,.0f}/s wall-clock"
    )


if __name__ == "__main__":
    main()
