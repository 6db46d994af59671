"""The README lists every setting."""

from __future__ import annotations

from pathlib import Path

from huiliu.config import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_readme_opens_with_the_two_commands() -> None:
    first_block = README.split("```")[1]
    assert "make run" in first_block
    assert "make test" in first_block


def test_every_setting_is_documented() -> None:
    for name in Settings.model_fields:
        assert f"`HUILIU_{name.upper()}`" in README, name
