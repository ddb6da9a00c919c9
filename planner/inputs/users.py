"""Who holds which licence (``MCOPSTNC``, pay-as-you-go) and which department each user is in."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.inputs.table import LINE, Table

# --------------------------------------------------------------------------------------------
# user licences
# --------------------------------------------------------------------------------------------

_TRUE = {"true", "yes", "y", "1", "x", "assigned", "vrai", "wahr", "ja", "oui"}
_FALSE = {"false", "no", "n", "0", "", "unassigned", "faux", "falsch", "nein", "non"}
_CREDITS_NAMES = ("communications credits", "mcopstnc")
_PAYG_NAMES = ("pay-as-you-go", "pay as you go", "payg")


def read_user_licences(path: str | Path) -> pd.DataFrame:
    """Read who holds the Communications Credits licence (``MCOPSTNC``).

    Two shapes are accepted:

    - the Microsoft 365 admin center *Export users* file: ``User principal name`` and
      ``Licenses`` (product names joined by ``+``); the credits licence is present when the
      list names "Communications Credits" or ``MCOPSTNC``, a pay-as-you-go Calling Plan when
      it names "pay-as-you-go";
    - a simple ``upn,mcopstnc`` file with true/false, yes/no or 1/0 (an optional ``payg``
      column marks pay-as-you-go Calling Plan users).

    Returns
    -------
    DataFrame
        ``upn`` (string, lower case, unique), ``has_credits_licence`` (bool),
        ``has_payg_plan`` (bool).
    """
    t = Table(path, "the users' licences", "upn,mcopstnc")
    upn_col = t.column("upn", "user principal name", "userprincipalname", "user")
    licences_col = t.column("licenses", "licences", "assigned_products", required=False)
    flag_col = t.column(
        "mcopstnc", "has_credits_licence", "communications_credits", "credits", required=False
    )
    payg_col = t.column("payg", "has_payg_plan", required=False)
    if licences_col is None and flag_col is None:
        raise t.error(
            None,
            "neither a `Licenses` column (M365 admin center user export) nor an "
            "`mcopstnc` column (found: {header}); expected `upn,mcopstnc` or the "
            "admin center's Export users file",
            header=", ".join(t.header),
        )
    upn = t.text(upn_col).str.lower()
    t._first_bad((upn == "").to_numpy(), upn_col, "the user principal name is empty")
    if licences_col is not None:
        products = t.text(licences_col).str.lower()
        credits = np.zeros(len(t), dtype=bool)
        for name in _CREDITS_NAMES:
            credits |= products.str.contains(name, regex=False).to_numpy()
        payg = np.zeros(len(t), dtype=bool)
        for name in _PAYG_NAMES:
            payg |= products.str.contains(name, regex=False).to_numpy()
    else:
        assert flag_col is not None  # checked above: one of the two columns is there
        credits = _flags(t, flag_col, "mcopstnc")
        payg = np.zeros(len(t), dtype=bool)
    if payg_col is not None:
        payg = payg | _flags(t, payg_col, "payg")
    out = pd.DataFrame(
        {
            "upn": pd.array(upn.tolist(), dtype="string"),
            "has_credits_licence": credits,
            "has_payg_plan": payg,
            LINE: t.frame[LINE].to_numpy(),
        }
    )
    out = out.drop_duplicates(["upn", "has_credits_licence", "has_payg_plan"])
    clash = out["upn"].duplicated(keep=False).to_numpy()
    if clash.any():
        rows = out[clash]
        raise t.error(
            int(rows[LINE].iloc[1]),
            "user {user} is listed twice with different licences (lines {line1} "
            "and {line2}); keep one row per user",
            user=rows["upn"].iloc[0],
            line1=rows[LINE].iloc[0],
            line2=rows[LINE].iloc[1],
        )
    return out.drop(columns=LINE).reset_index(drop=True)


def _flags(t: Table, col: str, label: str) -> np.ndarray:
    text = t.text(col).str.lower()
    unknown = ~text.isin(_TRUE | _FALSE).to_numpy()
    t._first_bad(
        unknown, col, "`{label}` value {value!r} is not true/false, yes/no or 1/0", label=label
    )
    return text.isin(_TRUE).to_numpy()


# --------------------------------------------------------------------------------------------
# departments
# --------------------------------------------------------------------------------------------


#: department of a user missing from the department file
UNKNOWN_DEPARTMENT = "(unknown)"


def read_departments(path: str | Path) -> pd.DataFrame:
    """Read a user -> department CSV (header ``upn,department``; other columns ignored).

    Returns
    -------
    DataFrame
        Columns ``upn`` (string, lower case, stripped), ``department`` (string).

    Raises
    ------
    InputError
        The file is missing or unreadable, lacks a column, or maps a user to two departments.
    """
    p = Path(path)
    try:
        raw = pd.read_csv(
            p, dtype=str, keep_default_na=False, encoding="utf-8-sig", sep=None, engine="python"
        )
    except FileNotFoundError:
        raise InputError(
            "department file {path} not found: give a CSV with columns upn,department", path=p
        ) from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(
            "cannot read department file {path} ({exc}): save it as a UTF-8 CSV with "
            "columns upn,department",
            path=p,
            exc=exc,
        ) from None
    try:
        return normalise_departments(raw)
    except ValueError as exc:
        raise InputError("department file {path}: {exc}", path=p, exc=exc) from None


def normalise_departments(departments: pd.DataFrame) -> pd.DataFrame:
    """Check and tidy a user -> department table (columns ``upn``, ``department``, any case).

    Raises ``ValueError`` naming the problem: a missing column or a user with two departments.
    Empty UPNs are dropped, empty departments read as :data:`UNKNOWN_DEPARTMENT`.
    """
    cols = {str(c).strip().lower(): c for c in departments.columns}
    missing = [c for c in ("upn", "department") if c not in cols]
    if missing:
        raise ValueError(
            f"missing column(s) {', '.join(missing)}; expected a header upn,department "
            f"(found {', '.join(map(str, departments.columns)) or 'none'})"
        )
    out = pd.DataFrame(
        {
            "upn": departments[cols["upn"]].astype("string").str.strip().str.lower(),
            "department": departments[cols["department"]].astype("string").str.strip(),
        }
    )
    out = out[out["upn"].fillna("").ne("")]
    out["department"] = out["department"].mask(
        out["department"].fillna("").eq(""), UNKNOWN_DEPARTMENT
    )
    out = out.drop_duplicates()
    dup = out["upn"].duplicated(keep=False)
    if dup.any():
        upn = out.loc[dup, "upn"].iloc[0]
        raise ValueError(f"user {upn} is listed in more than one department; keep one row per user")
    return out.reset_index(drop=True)
