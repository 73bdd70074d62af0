"""An uploaded list of people or counts by ethnic group (a gangs-matrix extract...), read
for a disproportionality audit without loading it into the store.

The file has an ethnicity column (``ethnicity``, ``ethnic group`` or ``group``) and
optionally a ``count`` column (without one, each row is one person). Its wording is
mapped with the scheme (:data:`geo.core.ethnicity.SCHEMES`) that recognises most values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pandas as pd

from geo.core.ethnicity import GROUP_INDEX, NOT_RECORDED, Scheme, category_key, group_codes
from geo.ingest.readers import RowIssues, read_table

__all__ = ["EthnicityList", "read_ethnicity_list"]

_GROUP_HEADERS: Final = ("ethnicity", "ethnic group", "ethnic_group", "group", "ethnicity group")
_COUNT_HEADERS: Final = ("count", "n", "number", "value")


@dataclass(frozen=True)
class EthnicityList:
    """An uploaded list-type file, read.

    Attributes
    ----------
    frame : DataFrame
        The file's rows as strings.
    group : str
        The ethnicity column.
    count : str or None
        The count column (None: each row is one person).
    scheme : {"ons", "officer", "self", "census"}
        The mapping scheme that recognises most of the ethnicity values.
    """

    frame: pd.DataFrame
    group: str
    count: str | None
    scheme: Scheme


def read_ethnicity_list(data: bytes, file_name: str) -> EthnicityList:
    """Read an uploaded list-type CSV or XLSX and find its columns and mapping scheme.

    Raises ``ValueError`` with a message that quotes no value from the file.
    """
    issues = RowIssues()
    frame, _ = read_table(data, file_name, issues)
    headers = {category_key(str(c)): str(c) for c in frame.columns}
    group = next((headers[h] for h in _GROUP_HEADERS if h in headers), None)
    if group is None:
        raise ValueError("the file needs an 'ethnicity' (or 'ethnic group') column")
    count = next((headers[h] for h in _COUNT_HEADERS if h in headers), None)
    values = frame[group]
    best, best_known = "ons", -1
    for scheme in ("ons", "officer", "self", "census"):
        codes = group_codes(values, scheme)
        known = int((codes < GROUP_INDEX[NOT_RECORDED]).sum())
        if known > best_known:
            best, best_known = scheme, known
    return EthnicityList(frame, group, count, best)  # type: ignore[arg-type]
