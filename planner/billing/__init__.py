"""How a tenant pays for PSTN usage, month by month: the spend forecast (prepaid: what the
balance must fund; post-paid: the bill) and when a post-paid tenant's credits run out.
See ``docs/billing.md``."""

from planner.billing.forecast import (
    BILLING_MODES,
    FORECAST_MONTHS,
    UPPER_LEVELS,
    MonthlyForecast,
    RunOut,
    check_billing,
    credits_run_out,
    month_windows,
    monthly_forecast,
    parse_monthly_budget,
    spread_cents,
)
from planner.billing.views import forecast_chart, forecast_table, run_out_text

__all__ = [
    "BILLING_MODES",
    "FORECAST_MONTHS",
    "UPPER_LEVELS",
    "MonthlyForecast",
    "RunOut",
    "check_billing",
    "credits_run_out",
    "forecast_chart",
    "forecast_table",
    "month_windows",
    "monthly_forecast",
    "parse_monthly_budget",
    "run_out_text",
    "spread_cents",
]
