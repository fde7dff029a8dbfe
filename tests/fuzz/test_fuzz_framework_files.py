"""framework.load on malformed files of every format: a Framework or a FrameworkError with one line, nothing else."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import framework
from framework import FrameworkError
from tests.fuzz.inputs import FILES, FUZZ, VALID, png

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # openpyxl's notes on damaged packages


def load_or_refuse(data: bytes, fmt: str) -> None:
    filename = f"fuzzed.{fmt}"
    try:
        loaded = framework.load(data, fmt, filename=filename)
    except FrameworkError as exc:
        message = str(exc)
        assert message.startswith(filename) and "\n" not in message and "\r" not in message, message
        assert exc.message.strip(), "an error without a message"
    else:
        assert isinstance(loaded, framework.Framework)
        assert framework.load(framework.dump(loaded, "json"), "json", filename="again.json") == loaded


def test_the_valid_seeds_load():
    for fmt, data in VALID.items():
        framework.load(data, fmt, filename=f"tiny.{fmt}")


@pytest.mark.parametrize("fmt", framework.FORMATS)
def test_malformed_files_get_a_framework_error_with_one_line(fmt):
    @FUZZ
    @given(FILES[fmt]())
    def check(data):
        load_or_refuse(data, fmt)

    check()


@pytest.mark.parametrize("fmt", framework.FORMATS)
@FUZZ
@given(data=st.one_of(*(strategy() for strategy in FILES.values())))
def test_any_file_under_any_format_is_refused_clearly(fmt, data):
    load_or_refuse(data, fmt)


@pytest.mark.parametrize("fmt", framework.FORMATS)
def test_a_picture_named_like_a_framework_file_is_refused(fmt):
    with pytest.raises(FrameworkError) as refused:
        framework.load(png(), fmt, filename=f"photo.{fmt}")
    assert "\n" not in str(refused.value)
