# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (planner)
#     language: python
#     name: python3
#   language_info:
#     name: python
#   title: PSTN usage analysis
# ---

# %% [markdown] tags=["report-hide"]
# # PSTN usage analysis
#
# For analysts: what the tenant's calls were, what they cost in Communications Credits, who and what drove the spend. Run it as it is on the sample tenant, or set the parameters below (`planner report` does it for you).

# %%
from typing import Optional, Union

from IPython.display import Markdown, display

from planner import alerts, analysis, plots, report, text
from planner.ingest import read_exports
from planner.inputs import read_licences, read_user_licences

# %% tags=["parameters"]
# one parameter a line, as papermill reads them
# fmt: off
exports: Union[str, list, None] = None  # usage export files or folders (a path or a list); None: the sample tenant
departments: Optional[str] = None  # CSV upn,department for the department view; None: none (the sample tenant uses its own)
user_licences: Optional[str] = None  # CSV of users and their licences, for the MCOPSTNC check; None: none
licences: Optional[str] = None  # licence counts per plan and country, for the minute-pool chart; None: none
currency: Optional[str] = None  # ISO 4217 code of the credit spend to analyse; None: the exports' one currency
timezone: Optional[str] = None  # IANA time zone of the hour x weekday map, e.g. "Europe/Paris"; None: UTC
top_n: int = 10  # how many users, departments and destinations to list
month_end_days: int = 5  # width of the month-end window, in days
tenant: Optional[str] = None  # tenant name for the heading; None: the users' e-mail domain
artifacts_dir: Optional[str] = None  # set by `planner report`: where the tables for the workbook go
shared_dir: Optional[str] = None  # set by `planner report`: where the notebooks of one report share the exports read once
lang: str = "en"  # language of the report: "en" or "fr" (a language is a file in planner/text/locales)
# fmt: on

# %%
text.set_language(lang)

# %%
inputs = report.resolve_inputs(
    exports, departments=departments, user_licences=user_licences, licences=licences
)

# %%
ingest = read_exports(inputs.exports, shared=shared_dir)

# %%
currency = (currency or analysis.credit_currency(ingest.records, default="USD")).upper()
records = analysis.in_currency(ingest.records, currency)

# %%
user_lic = read_user_licences(inputs.user_licences) if inputs.user_licences else None

# %%
quality = analysis.data_quality(ingest)

# %%
monthly = analysis.monthly_summary(records, user_lic)

# %%
display(Markdown(report.usage_heading(quality, records, currency, tenant)))

# %%
display(Markdown(report.usage_key_figures(monthly, currency)))

# %% [markdown]
# ## Data quality
#
# What was read, what was set aside and why: every row of every file is accounted for.

# %%
display(Markdown(report.quality_markdown(quality)))

# %%
display(report.table(report.files_view(quality["files"])))

# %%
display(report.table(quality["rejects_by_reason"], empty=text.t("No row was rejected.")))

# %% [markdown]
# ## Monthly minutes and credit spend
#
# Minutes of all calls, and the credit spend by category; the label on each bar is the change on the month before.

# %%
report.show(plots.monthly_usage(monthly, currency))

# %%
display(
    report.table(
        monthly.drop(columns=["credit_calls", "credit_minutes", "credit_change_cents"]), currency
    )
)

# %% [markdown]
# ## Credit spend by day
#
# Every day of the period; the shaded bands are the last days of each month, where month-end peaks would show.

# %%
daily = analysis.daily_credit_spend(records)

# %%
report.show(plots.daily_spend(daily, currency, month_end_days))

# %%
report.show(plots.day_of_month(analysis.spend_by_day_of_month(daily), currency, month_end_days))

# %%
display(
    Markdown(
        report.month_end_markdown(analysis.month_end_share(daily, month_end_days), month_end_days)
    )
)

# %%
display(Markdown(alerts.alerts_markdown(alerts.detect_alerts(ingest.records))))

# %% [markdown]
# ## Who spends: users and departments

# %%
report.show(plots.top_users(analysis.by_user(records, inputs.departments), currency, top_n))

# %%
display(report.table(analysis.top_spenders(records, top_n, inputs.departments), currency))

# %%
if inputs.departments:
    report.show(
        plots.top_departments(analysis.by_department(records, inputs.departments), currency, top_n)
    )
else:
    display(Markdown(report.missing_markdown("departments")))

# %% [markdown]
# ## Destinations and call types
#
# Outbound calls by destination, and every call by type.

# %%
report.show(plots.top_destinations(analysis.by_destination(records), currency, top_n))

# %%
report.show(plots.call_types(analysis.by_call_type(records), currency))

# %% [markdown]
# ## When people call
#
# Calls by weekday and hour of the call start.

# %%
report.show(plots.hour_weekday_heatmap(analysis.hour_weekday(records, timezone), "Calls", timezone))

# %% [markdown]
# ## Toll-free numbers
#
# Every toll-free minute is paid from credits: use per month, by number.

# %%
report.show(plots.toll_free(analysis.toll_free_usage(records), currency))

# %%
display(report.table(analysis.toll_free_usage(records, by="number"), currency))

# %% [markdown]
# ## Minute pools
#
# Minutes each pool covered per month against its size; minutes beyond a pool are paid from credits. Needs the licence counts (--licences).

# %%
if inputs.licences:
    report.show(
        plots.pool_usage(analysis.pool_usage(records, read_licences(inputs.licences), user_lic))
    )
else:
    display(Markdown(report.missing_markdown("licences")))

# %% [markdown]
# ## Users drawing on credits without the licence
#
# Users need the Communications Credits licence (MCOPSTNC) to use credits; for meeting dial-out, the organizer does.

# %%
if user_lic is not None:
    display(
        report.table(
            analysis.unlicensed_credit_users(records, user_lic),
            currency,
            empty=text.t("Every user who drew on credits holds the licence."),
        )
    )
else:
    display(Markdown(report.missing_markdown("user_licences")))

# %%
written = report.save_artifacts(
    artifacts_dir, tables={"monthly_usage": report.monthly_table(monthly)}
)
