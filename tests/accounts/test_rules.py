"""Pure rules of accounts: one-time codes, passwords, throttling (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from service.accounts import rules

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_codes_are_readable_and_unique():
    codes = {rules.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in list(codes)[:50]:
        assert len(code) == 14 and code.count("-") == 2
        assert not set(code) & set("ILOU")


@given(st.sampled_from(["lower", "spaces", "nodash", "cyrillic"]), st.integers(0, 10**6))
def test_typed_code_is_forgiven(variant, _):
    code = rules.new_code()
    typed = {
        "lower": code.lower(),
        "spaces": " " + code.replace("-", " ") + " ",
        "nodash": code.replace("-", ""),
        "cyrillic": code.replace("A", "А").replace("C", "С").replace("0", "О"),
    }[variant]
    assert rules.normalise_code(typed) == code


def test_garbage_is_not_a_code():
    for text in ("", "1234", "ABCD-EFGH-JKM!", "ABCD-EFGH-JKMNP", "ЖЖЖЖ-ЖЖЖЖ-ЖЖЖЖ"):
        assert rules.normalise_code(text) is None


def test_password_rules_speak_russian():
    assert "не короче" in rules.password_problem("короткий")
    assert "логин" in rules.password_problem("ivanova-2026-x", "ivanova")
    assert "простой" in rules.password_problem("aaaaaaaaaaaa")
    assert rules.password_problem("Весна-в-школе-2026") is None


def test_login_rules():
    assert rules.login_problem("ivanova.m") is None
    assert rules.login_problem("Иванова") is not None
    assert rules.login_problem("ab") is not None


def _failures(n, minutes_ago=1):
    return [NOW - timedelta(minutes=minutes_ago, seconds=i) for i in range(n)]


def test_throttle_per_account():
    t = rules.Throttle(5, 30, timedelta(minutes=15))
    assert t.wait(NOW, _failures(4), []) is None
    wait = t.wait(NOW, _failures(5), [])
    assert timedelta(minutes=13) < wait <= timedelta(minutes=14)
    assert t.wait(NOW, _failures(5, minutes_ago=16), []) is None


def test_throttle_per_address():
    t = rules.Throttle(5, 30, timedelta(minutes=15))
    assert t.wait(NOW, [], _failures(29)) is None
    assert t.wait(NOW, [], _failures(30)) is not None


@given(st.integers(1, 10000))
def test_minutes_agree_with_the_number(n):
    text = rules.minutes_text(timedelta(minutes=n))
    number, word = text.split()
    assert int(number) == n
    if n % 10 == 1 and n % 100 != 11:
        assert word == "минуту"
    elif n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        assert word == "минуты"
    else:
        assert word == "минут"
