from typing import Any

import pytest
from pydantic import ValidationError

from scheduler_service.domain.policy import (
    BUILTIN_POLICY,
    MAX_STEPS,
    PolicyDefinition,
    WindowDefinition,
    valid_timezone,
)
from scheduler_service.domain.windows import DEFAULT_WINDOW


def step(name: str = "s", offset: str = "P0D", **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "offset": offset,
        "channels": ["email"],
        "template": "reminder",
        "tone": "friendly",
        "action": "message",
    }
    body.update(over)
    return body


def errors(body: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        PolicyDefinition.model_validate(body)
    return str(info.value)


def test_builtin_policy_is_valid_and_ordered() -> None:
    names = [s.name for s in BUILTIN_POLICY.steps]
    assert names == ["reminder", "due_today", "overdue_3d", "overdue_10d", "final_notice"]
    assert [s.offset for s in BUILTIN_POLICY.steps] == ["-P3D", "P0D", "P3D", "P10D", "P20D"]
    assert {s.template for s in BUILTIN_POLICY.steps} == {"reminder", "due_today", "overdue", "final_notice"}
    assert BUILTIN_POLICY.steps[-1].tone == "final"
    assert BUILTIN_POLICY.window() == DEFAULT_WINDOW


def test_send_window_left_out_is_the_default_and_null_is_any_time() -> None:
    assert PolicyDefinition.model_validate({"steps": [step()]}).window() == DEFAULT_WINDOW
    assert PolicyDefinition.model_validate({"steps": [step()], "send_window": None}).window() is None


def test_window_definition_round_trip() -> None:
    definition = WindowDefinition.of(DEFAULT_WINDOW)
    assert definition.model_dump() == {
        "weekdays": {
            "mon": ("08:00", "20:00"),
            "tue": ("08:00", "20:00"),
            "wed": ("08:00", "20:00"),
            "thu": ("08:00", "20:00"),
            "fri": ("08:00", "20:00"),
            "sat": ("09:00", "13:00"),
        },
        "skip_holidays": True,
    }
    assert definition.to_window() == DEFAULT_WINDOW


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"steps": [step(offset="3 days")]}, "not an ISO 8601 duration"),
        ({"steps": [step(offset="P1M")]}, "years and months"),
        ({"steps": [step(channels=[])]}, "at least 1 item"),
        ({"steps": [step(channels=["fax"])]}, "channels.0"),
        ({"steps": [step(channels=["sms", "sms"])]}, "listed twice"),
        ({"steps": [step(tone="angry")]}, "tone"),
        ({"steps": [step(action="credit_bureau")]}, "not supported yet"),
        ({"steps": [step(action="dance")]}, "action"),
        ({"steps": [step(template="")]}, "template"),
        ({"steps": [step(name="")]}, "name"),
        ({"steps": [step("a", "P0D"), step("a", "P1D")]}, "unique: a"),
        ({"steps": [step("a", "P1D"), step("b", "P0D")]}, "increasing order"),
        ({"steps": [step("a", "P1D"), step("b", "PT24H")]}, "increasing order"),
        ({"steps": []}, "at least 1 item"),
        ({"steps": [step(f"s{i}", f"P{i}D") for i in range(MAX_STEPS + 1)]}, "at most 30"),
        ({"steps": [step()], "send_window": {"weekdays": {}}}, "at least 1 item"),
        ({"steps": [step()], "send_window": {"weekdays": {"mon": ["20:00", "08:00"]}}}, "open before"),
        ({"steps": [step()], "send_window": {"weekdays": {"mon": ["8h", "20h"]}}}, "pattern"),
        ({"steps": [step()], "send_window": {"weekdays": {"funday": ["08:00", "20:00"]}}}, "funday"),
        ({"steps": [step(extra=1)]}, "extra"),
    ],
)
def test_invalid_policies(body: dict[str, Any], message: str) -> None:
    assert message in errors(body)


def test_thirty_steps_are_fine() -> None:
    policy = PolicyDefinition.model_validate({"steps": [step(f"s{i}", f"P{i}D") for i in range(MAX_STEPS)]})
    assert len(policy.steps) == MAX_STEPS


def test_timezones() -> None:
    assert valid_timezone("America/Manaus") == "America/Manaus"
    with pytest.raises(ValueError, match="unknown time zone"):
        valid_timezone("Mars/Olympus")
    with pytest.raises(ValueError, match="unknown time zone"):
        valid_timezone("../etc/passwd")
