"""Users whose credit spend, international minutes or call count jump against their own
history and against their peers.

Each user's day is measured three ways — credit spend, international outbound minutes,
outbound calls — and compared with two baselines drawn from the ``history_days`` before it:
the user's own busiest day (leaving out the last week), and the 90th percentile of the
busiest days of the users in the same country (their *peers*). A day is a jump when it is
``user_ratio`` times **both**: a user who always calls a lot, or a month end when a whole
country's pool runs out, is not a jump.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner import text
from planner.alerts.common import (
    Context,
    day_text,
    main_share,
    make_alert,
    money,
    runs,
    times,
)
from planner.alerts.model import Alert, Thresholds

#: the measures of a user's day: column, words, unit
MEASURES: tuple[tuple[str, str, str], ...] = (
    ("cents", text.N_("credit spend"), "money"),
    ("intl_minutes", text.N_("international minutes"), "min"),
    ("calls", text.N_("outbound calls"), "calls"),
)

#: days just before a day that its own baseline leaves out (the same incident's earlier days)
RECENT_DAYS = 7

#: percentile of the peers' busiest days a user's day is measured against
PEER_PERCENTILE = 90

#: fewest peers (active users of the same country) that make a peer baseline
MIN_PEERS = 5

#: the peers' percentile is recomputed every this many days (it moves slowly)
PEER_STEP_DAYS = 7


def user_days(calls: pd.DataFrame) -> pd.DataFrame:
    """One row per user and UTC day with activity: ``upn``, ``user_location``, ``date``,
    ``cents`` (credit spend), ``intl_minutes`` (international outbound), ``calls`` (outbound).
    Sorted by user, then date."""
    minutes = np.where(calls["international"], calls["duration_s"] / 60.0, 0.0)
    frame = pd.DataFrame(
        {
            "upn": calls["upn"],
            "user_location": calls["user_location"].fillna(""),
            "date": calls["date"],
            "cents": calls["cents"],
            "intl_minutes": minutes,
            "calls": calls["outbound"].astype("int64"),
        }
    )
    out = frame.groupby(["upn", "date"], sort=True).agg(
        user_location=("user_location", "first"),
        cents=("cents", "sum"),
        intl_minutes=("intl_minutes", "sum"),
        calls=("calls", "sum"),
    )
    return out.reset_index()


def own_history_max(days: pd.DataFrame, col: str, history_days: int) -> np.ndarray:
    """Each user-day's busiest earlier day of the same user, between ``history_days`` and
    :data:`RECENT_DAYS` days before it (0: none).

    The last days are left out so that an incident lasting several days is not taken for
    the user's habit on its second day. ``days`` sorted by user then date (:func:`user_days`).
    """
    window = max(1, history_days - RECENT_DAYS)
    indexed = days.set_index("date")[["upn", col]]
    rolled = indexed.groupby("upn", sort=False)[col].rolling(f"{window}D", closed="both").max()
    past = rolled.reset_index().rename(columns={col: "past"})
    past["date"] = past["date"] + pd.Timedelta(days=RECENT_DAYS)
    past = past.sort_values("date", kind="stable")
    left = days[["upn", "date"]].reset_index().sort_values("date", kind="stable")
    joined = pd.merge_asof(left, past, on="date", by="upn", direction="backward")
    out = joined.set_index("index")["past"].reindex(days.index).to_numpy(dtype="float64")
    return np.nan_to_num(out, nan=0.0)


def peer_percentile(days: pd.DataFrame, col: str, t: Thresholds) -> np.ndarray:
    """Each user-day's peer baseline: over the users of the same country with some activity
    between ``history_days`` and :data:`RECENT_DAYS` days before, the 90th percentile of
    their busiest day (0 when fewer than :data:`MIN_PEERS` such users).

    One value per peer: a single user's incident cannot raise the baseline of the others.
    """
    out = np.zeros(len(days))
    date = days["date"].to_numpy("datetime64[D]").astype("int64")
    value = days[col].to_numpy(dtype="float64")
    user = pd.factorize(days["upn"])[0]
    for _, idx in days.groupby("user_location", sort=False).indices.items():
        d, v, u = date[idx], value[idx], user[idx]
        order = np.argsort(d, kind="stable")
        d_sorted, v_sorted, u_sorted = d[order], v[order], u[order]
        for step in range(d.min(), d.max() + 1, PEER_STEP_DAYS):
            lo = np.searchsorted(d_sorted, step - t.history_days)
            hi = np.searchsorted(d_sorted, step - RECENT_DAYS)
            active = v_sorted[lo:hi] > 0
            if not active.any():
                continue
            busiest = _max_per_user(u_sorted[lo:hi][active], v_sorted[lo:hi][active])
            if len(busiest) >= MIN_PEERS:
                sel = (d >= step) & (d < step + PEER_STEP_DAYS)
                out[idx[sel]] = np.percentile(busiest, PEER_PERCENTILE)
    return out


def _max_per_user(user: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Each user's largest value (in no particular order: a percentile of them follows)."""
    order = np.lexsort((value, user))  # by user, then value: each user's last is its largest
    users = user[order]
    last = np.ones(len(users), dtype=bool)
    last[:-1] = users[1:] != users[:-1]
    return value[order][last]


def _floors(t: Thresholds) -> dict[str, float]:
    return {"cents": float(t.medium_cents), "intl_minutes": t.user_floor_minutes,
            "calls": float(t.user_floor_calls)}  # fmt: skip


def detect_user_jumps(calls: pd.DataFrame, t: Thresholds | None = None) -> list[Alert]:
    """Users whose day jumps against their own history and their peers'.

    High only when the credit spend jumps by a material amount; a jump in international
    minutes or calls alone (e.g. minutes still inside an international plan) is at most
    medium.
    """
    t = t or Thresholds()
    if calls.empty:
        return []
    ctx = Context.of(calls)
    days = user_days(calls)
    floors = _floors(t)
    jumped = np.zeros(len(days), dtype=bool)
    for col, _, _ in MEASURES:
        own = own_history_max(days, col, t.history_days)
        peers = peer_percentile(days, col, t)
        days[f"{col}_own"] = own
        days[f"{col}_peers"] = peers
        ref = np.maximum(np.maximum(own, peers), floors[col])
        days[f"{col}_jump"] = days[col].to_numpy() >= t.user_ratio * ref
        jumped |= days[f"{col}_jump"].to_numpy()
    warm = ctx.warm(days["date"], t)
    hits = days[jumped & warm & (days["upn"] != "(no user)").to_numpy()]
    alerts = []
    for _, group in hits.groupby("upn", sort=True):
        run_of = runs(group["date"])
        for r in np.unique(run_of):
            alerts.append(_user_alert(calls, group[run_of == r], ctx, t))
    return alerts


def _user_alert(calls: pd.DataFrame, rows: pd.DataFrame, ctx: Context, t: Thresholds) -> Alert:
    upn = str(rows["upn"].iloc[0])
    mine = calls["upn"].eq(upn) & calls["date"].isin(rows["date"])
    largest = calls[mine].groupby("date")["cents"].max()
    grades = []
    for day, cents, own, peers, jump in zip(
        rows["date"],
        rows["cents"].to_numpy(np.float64),
        rows["cents_own"].to_numpy(np.float64),
        rows["cents_peers"].to_numpy(np.float64),
        rows["cents_jump"].to_numpy(bool),
        strict=True,
    ):
        # graded without the day's most expensive call: one long call is not a jump
        excess = cents - max(own, peers) - largest.get(day, 0)
        grades.append(ctx.grade(day, excess, bool(jump), t))
    severity = min(grades, key=["high", "medium", "low"].index)
    at = int(np.argmax(rows["cents"].to_numpy())) if rows["cents"].max() > 0 else 0
    peak = rows.iloc[at]
    evidence = calls[mine & (calls["outbound"] | (calls["cents"] > 0))]
    country, countries = main_share(evidence, "country")
    parts = []
    for col, words, unit in MEASURES:
        if not peak[f"{col}_jump"]:
            continue
        ref = max(peak[f"{col}_own"], peak[f"{col}_peers"], _floors(t)[col])
        fmt = (
            (lambda v: money(v, ctx.currency)) if unit == "money" else (lambda v: text.number(v, 0))
        )
        parts.append(
            text.t(
                "{measure} {value}, {times} the larger of their busiest day in the previous "
                "{days} days ({own}) and the 90th percentile of {where} users' busiest days "
                "({peers})",
                measure=text.t(words),
                value=fmt(peak[col]),
                times=times(peak[col] / ref),
                days=t.history_days,
                own=fmt(peak[f"{col}_own"]),
                where=peak["user_location"] or text.t("unknown-country"),
                peers=fmt(peak[f"{col}_peers"]),
            )
        )
    span = day_text(peak["date"])
    if len(rows) > 1:
        span += " " + text.t("(one of {n} such days in a row)", n=len(rows))
    words_ = text.t(
        "{upn} on {span}: {parts}. {calls} costing {cost}, by destination: {countries}.",
        upn=upn,
        span=span,
        parts=text.semicolons(parts),
        calls=text.nt("{n} call", "{n} calls", len(evidence)),
        cost=money(evidence["cents"].sum(), ctx.currency),
        countries=countries,
    )
    return make_alert("user_jump", severity, evidence, ctx, words_, upn=upn, country=country)
