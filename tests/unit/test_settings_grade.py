"""Grade weights as deployment settings: read from the environment, refused when inconsistent."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from weiquan.config import Environment, Settings


def test_weights_from_the_environment_replace_the_published_ones_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WEIQUAN_GRADE_WEIGHTS", '{"response": 0.3, "speed": 0.0}')
    monkeypatch.setenv("WEIQUAN_GRADE_PRIOR_WEIGHT", "5")
    policy = Settings(env=Environment.TEST).grade_policy()
    weights = {rule.name: rule.weight for rule in policy.components}
    assert weights == {
        "response": 0.3,
        "speed": 0.0,
        "resolution": 0.25,
        "fulfilment": 0.2,
        "satisfaction": 0.15,
        "pledges": 0.1,
    }
    assert policy.prior_weight == 5


def test_weights_that_do_not_add_up_to_one_stop_the_start_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WEIQUAN_GRADE_WEIGHTS", '{"response": 0.5}')
    with pytest.raises(ValidationError, match=r"WEIQUAN_GRADE_WEIGHTS.*之和应为 1，现为 1\.3"):
        Settings(env=Environment.TEST)


def test_without_settings_the_published_formula_applies() -> None:
    policy = Settings(env=Environment.TEST).grade_policy()
    assert policy.prior_weight == 10
    assert sum(rule.weight for rule in policy.components) == pytest.approx(1)
