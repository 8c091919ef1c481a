"""Validity dates of posts as CSV text and as XLSX timestamps: the same date, nothing else."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from gis_service.fileio.cells import cell_date, cell_text, read_validity


@pytest.mark.parametrize(
    "value",
    [
        "2026-07-01",
        " 2026-07-01 ",
        "2026-07-01 00:00:00",  # an XLSX date written out as text
        dt.date(2026, 7, 1),
        dt.datetime(2026, 7, 1),
        pd.Timestamp("2026-07-01"),  # what openpyxl/pandas give for an Excel date cell
    ],
)
def test_a_date_in_any_of_its_table_forms_is_the_same_day(value):
    assert cell_date(value) == dt.date(2026, 7, 1)


@pytest.mark.parametrize("value", [None, "", "   ", float("nan"), pd.NaT])
def test_blank_cells_are_no_date(value):
    assert cell_date(value) is None
    assert cell_text(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "2026-07-01garbage",
        "2026-07-01 14:30",
        "2026-13-01",
        "2026-7-1",
        "01/07/2026",
        "20260701",
        pd.Timestamp("2026-07-01 14:30"),
        dt.datetime(2026, 7, 1, tzinfo=dt.UTC),
    ],
)
def test_anything_else_is_refused_by_name(value):
    with pytest.raises(ValueError, match=r"not a date"):
        cell_date(value)


def test_validity_names_each_problem():
    assert read_validity("2026-01-01", "").problem is None
    assert read_validity("2026-01-01", None).valid_to is None
    assert read_validity("", "").problem == "valid_from is required (YYYY-MM-DD)"
    both = read_validity("x", "2026-02-30")
    assert both.problem == (
        "valid_from: 'x' is not a date (YYYY-MM-DD); valid_to: '2026-02-30' is not a date "
        "(YYYY-MM-DD)"
    )
    backwards = read_validity(pd.Timestamp("2026-05-01"), "2026-04-01")
    assert backwards.problem == "valid_to 2026-04-01 is before valid_from 2026-05-01"


def test_a_day_of_something_timed_takes_the_date_of_its_time():
    assert cell_date("2026-07-01T10:30:00+08:00", time_of_day=True) == dt.date(2026, 7, 1)
    assert cell_date(pd.Timestamp("2026-07-01 10:30"), time_of_day=True) == dt.date(2026, 7, 1)
    with pytest.raises(ValueError, match="'2026-07-01garbage' is not a date"):
        cell_date("2026-07-01garbage", time_of_day=True)
