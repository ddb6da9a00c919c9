"""Anomaly and toll-fraud alerts: the spend that drains the Communications Credits balance.

Microsoft only e-mails once the balance has reached zero. These detectors read the call
records and point at what drains it, each finding explained in plain words with its calls:

======================  ===================================================================
kind                    what it finds (module)
======================  ===================================================================
``daily_spend``         days whose credit spend is far above comparable days: same kind of
                        day, same position in the month (:mod:`~planner.alerts.daily`)
``user_jump``           users whose credit spend, international minutes or calls jump
                        against their own history and their peers (:mod:`~.users`)
``new_destination``     countries never called before that now cost money
                        (:mod:`~.destinations`)
``premium_rate``        calls to premium-rate numbers (:mod:`~.destinations`)
``out_of_hours``        bursts of international or paid calls at night or on weekends, in the
                        user's local time (:mod:`~.hours`)
``sequential_dialling`` many short calls in a row to one number range (:mod:`~.sequences`)
``repeated_number``     many international calls to one number in a day: forwarding loops
                        (:mod:`~.sequences`)
``sms_pumping``         many outbound SMS segments to one number range in a short time
                        (:mod:`~.sms`)
======================  ===================================================================

Every detector is a plain function ``(calls, thresholds) -> list[Alert]`` over the table of
:func:`call_features`, and judges each day only against the days before it, so running over
a whole history gives what a daily run would have said on each day. :class:`Thresholds`
documents and holds every limit. Precision comes first: a **high** alert needs strong
evidence *and* a material amount (at least ``high_cents``, 20.00 by default, and half a
typical day's spend) beyond its most expensive call, so one long call abroad is never high;
nothing is reported in the first ``warmup_days`` of data.

>>> from planner.alerts import Thresholds
>>> Thresholds(night_calls=3).night_calls
3
"""

from __future__ import annotations

from planner.alerts.features import call_features
from planner.alerts.model import KINDS, SEVERITIES, Alert, Thresholds
from planner.alerts.report import alerts_markdown, alerts_sheet, alerts_summary
from planner.alerts.run import DETECTORS, AlertResult, detect_alerts, detect_all

__all__ = [
    "DETECTORS",
    "KINDS",
    "SEVERITIES",
    "Alert",
    "AlertResult",
    "Thresholds",
    "alerts_markdown",
    "alerts_sheet",
    "alerts_summary",
    "call_features",
    "detect_alerts",
    "detect_all",
]
