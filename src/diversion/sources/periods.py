"""Months and years as customs extracts and trade statistics write them, as SQL expressions.

Vendor extracts give a declaration's month (``Apr 2023``, ``апр 2023``,
``2023-04``, ``04.2023``); statistics give a year (``2017``) or a month
(``201704``, Comext's ``202352`` for the whole of 2023, SDMX's ``2023-04``).
Each builder takes a SQL expression holding trimmed text and returns DuckDB
SQL, ``NULL`` when the text is no such period (callers name that in a
quarantine reason).
"""

from __future__ import annotations

_EN = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
# Russian abbreviations; May is "май" (nominative) or "мая" (genitive).
_RU = ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"]
#: Words for the quarantine reason and the docs.
MONTH_EXPECTATION = "a month like Apr 2023, 2023-04 or 04.2023"
PERIOD_EXPECTATION = "a year (2023) or a month (202304, 2023-04, Apr 2023)"


def _sql_list(values: list[str]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def _year(text: str) -> str:
    # Two-digit years (Apr-23) are 2000s: trade data before 2000 writes four digits.
    return f"(CASE WHEN length({text}) = 2 THEN 2000 + CAST({text} AS INTEGER) ELSE CAST({text} AS INTEGER) END)"


def _make(year: str, month: str) -> str:
    return (f"(CASE WHEN {year} BETWEEN 1900 AND 2100 AND {month} BETWEEN 1 AND 12 "
            f"THEN make_date({year}, {month}, 1) END)")


def month_sql(text: str) -> str:
    """The first day of the month a text names (``Apr 2023``, ``2023-04``, ``202304``, ``04.2023``), else ``NULL``."""
    named = f"regexp_extract({text}, '^([^\\d\\s.\\-/]+)\\.?[\\s\\-/]*(\\d{{4}}|\\d{{2}})$', ['name', 'year'])"
    name = f"lower(left({named}.name, 3))"
    by_name = (f"coalesce(nullif(list_position({_sql_list(_EN)}, {name}), 0), "
               f"nullif(list_position({_sql_list(_RU)}, {name}), 0), CASE WHEN {name} = 'мая' THEN 5 END)")
    named_year = _year(f"nullif({named}.year, '')")
    year_first = f"regexp_extract({text}, '^(\\d{{4}})[\\-/.]?M?(\\d{{2}})$', ['y', 'm'])"
    month_first = f"regexp_extract({text}, '^(\\d{{1,2}})[./\\-](\\d{{4}})$', ['m', 'y'])"
    return (
        f"(CASE WHEN regexp_matches({text}, '^[^\\d\\s.\\-/]') THEN {_make(named_year, by_name)} "
        f"WHEN regexp_full_match({text}, '\\d{{4}}[\\-/.]?M?\\d{{2}}') "
        f"THEN {_make(f'CAST({year_first}.y AS INTEGER)', f'CAST({year_first}.m AS INTEGER)')} "
        f"WHEN regexp_full_match({text}, '\\d{{1,2}}[./\\-]\\d{{4}}') "
        f"THEN {_make(f'CAST({month_first}.y AS INTEGER)', f'CAST({month_first}.m AS INTEGER)')} END)"
    )


def period_sql(text: str) -> tuple[str, str]:
    """``(first day, 'year' | 'month')`` of a statistics period, each ``NULL`` when the text is none.

    Years: ``2023``; Comext's annual ``202352``. Months: as :func:`month_sql`,
    and ISO dates (``2023-04-01``, the month they fall in).
    """
    # 2023, 2023.0 (a number cell), Comext's 202352 ("month 52": the year), SDMX's 2023-A.
    annual = "\\d{4}(\\.0+)?|\\d{4}52|\\d{4}-?A"
    year = f"(CASE WHEN regexp_full_match({text}, '{annual}') THEN CAST(left({text}, 4) AS INTEGER) END)"
    as_year = f"(CASE WHEN {year} BETWEEN 1900 AND 2100 THEN make_date({year}, 1, 1) END)"
    parsed = f"coalesce(try_cast({text} AS DATE), CAST(try_strptime({text}, '%Y%m%d') AS DATE))"
    as_date = f"date_trunc('month', {parsed})::DATE"
    month = f"coalesce({month_sql(text)}, CASE WHEN year({as_date}) BETWEEN 1900 AND 2100 THEN {as_date} END)"
    day = f"(CASE WHEN {year} IS NOT NULL THEN {as_year} ELSE {month} END)"
    kind = f"(CASE WHEN {year} IS NOT NULL THEN (CASE WHEN {as_year} IS NOT NULL THEN 'year' END) " \
           f"WHEN {month} IS NOT NULL THEN 'month' END)"
    return day, kind
