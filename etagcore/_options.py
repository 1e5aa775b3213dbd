"""Validation of strategy options, shared by the built-ins.

Options arrive typed (from a mapping or keyword arguments) or as text (from a spec string
``"name:key=value"``), so every parser accepts both and raises a :class:`ConfigError` that
names the strategy, the option, the value and what is allowed.
"""

from __future__ import annotations

from collections.abc import Sequence

from .errors import ConfigError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def bad_value(strategy: str, option: str, value: object, allowed: str) -> ConfigError:
    return ConfigError(f"strategy {strategy!r}: option {option}={value!r} is invalid; allowed: {allowed}")


def parse_bool(strategy: str, option: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    raise bad_value(strategy, option, value, "true or false")


def parse_choice(strategy: str, option: str, value: object, choices: Sequence[str]) -> str:
    if isinstance(value, str) and value.lower() in choices:
        return value.lower()
    raise bad_value(strategy, option, value, " or ".join(choices))


def parse_int(strategy: str, option: str, value: object, lo: int, hi: int, step: int = 1) -> int:
    allowed = f"an integer from {lo} to {hi}" + (f" in steps of {step}" if step > 1 else "")
    if isinstance(value, bool):
        raise bad_value(strategy, option, value, allowed)
    number = value
    if isinstance(value, str):
        try:
            number = int(value.strip(), 10)
        except ValueError:
            raise bad_value(strategy, option, value, allowed) from None
    if not isinstance(number, int) or not lo <= number <= hi or (number - lo) % step:
        raise bad_value(strategy, option, value, allowed)
    return number
