# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (planner)
#     language: python
#     name: python3
#   language_info:
#     name: python
#   title: Communications Credits funding plan
# ---

# %% [markdown] tags=["report-hide"]
# # Communications Credits funding plan
#
# For admins: how much to add now, the auto-recharge amount and trigger, and the risk and cost of each choice. Run it as it is on the sample tenant, or set the parameters below (`planner report` does it for you).

# %%
from typing import Optional, Union

from IPython.display import Markdown, display

from planner import alerts, analysis, engine, plots, report, text
from planner.billing import forecast_chart
from planner.plan import PlanRequest

# %% tags=["parameters"]
# one parameter a line, as papermill reads them
# fmt: off
exports: Union[str, list, None] = None  # usage export files or folders (a path or a list); None: the sample tenant
currency: Optional[str] = None  # billing currency (ISO 4217); None: the exports' one currency
service_level: float = 0.99  # wanted share of simulated years without running out of credit (0.5 to < 1)
horizon_days: int = 365  # days to plan ahead
lead_days: int = 1  # days between a recharge trigger and the funds being usable
holding_rate: float = 0.05  # yearly cost of money tied up in the balance (0.05 is 5 %)
recharge_overhead: float = 10.0  # cost of handling one purchase invoice, in the billing currency
min_amount: float = 50  # smallest amount the admin center accepts (funding, recharge amount, trigger)
min_recharge_days: float = 0.0  # optional floor on the recharge amount, in days of mean spend (0: none)
failure_rate: float = 0.0  # share of recharge attempts that fail (an expired card, say)
fix_days: int = 0  # days until a failed recharge is fixed (auto-recharge is off meanwhile)
growth: Union[str, float, None] = None  # demand growth per year: 0.1, "+20%/year", "users:250->300"; None: estimated
n_scenarios: int = 2000  # demand scenarios simulated (more is steadier but slower)
seed: int = 42  # random seed: same inputs and seed, same plan
balance: Optional[str] = None  # today's balance as lots, CSV purchase_date,amount; None: none (the sample tenant uses its own)
current_recharge_amount: Optional[float] = None  # today's auto-recharge amount, to judge the current settings
current_threshold: Optional[float] = None  # today's auto-recharge trigger amount
current_auto_recharge: bool = True  # False: auto-recharge is off today
current_balance: Optional[float] = None  # today's balance when no lots file is given; None: one recharge amount
licences: Optional[str] = None  # licence counts per plan and country (what-if, with rates)
rates: Optional[str] = None  # rate card: re-price the calls after the minute pools (what-if); None: actual spend
user_licences: Optional[str] = None  # CSV of users and their licences (MCOPSTNC check, pay-as-you-go users)
alert_days: int = 14  # status ALERT when the balance may run out within this many days
billing: str = "prepaid"  # how PSTN usage is paid: "prepaid" (Communications Credits) or "postpaid" (after use, MCA)
as_of: Optional[str] = None  # the day the balance was read, YYYY-MM-DD; None: the day after the last usage day
keep_alert_spend: bool = False  # True: keep the spend high alerts flag in the demand (by default it is left out)
monthly_budget: Optional[float] = None  # a monthly budget: the monthly forecast gives each month's chance of exceeding it; None: none
tenant: Optional[str] = None  # tenant name for the heading; None: the users' e-mail domain
artifacts_dir: Optional[str] = None  # set by `planner report`: where the tables and summary.json go
shared_dir: Optional[str] = None  # set by `planner report`: where the notebooks of one report share the exports read once
lang: str = "en"  # language of the report: "en" or "fr" (a language is a file in planner/text/locales)
# fmt: on

# %%
text.set_language(lang)

# %%
params = {
    name: value for name, value in dict(globals()).items() if name in PlanRequest.parameters()
}
plan = PlanRequest.from_params(params).run()

# %%
rec, history, currency, demand = plan.recommendation, plan.history, plan.currency, plan.demand
lots = rec.lots
sc = rec.scenarios
alert = (plan.exit_code, plan.status)
tenant = report.tenant_label(plan.records, tenant)

# %%
display(Markdown(report.plan_heading(rec, history, tenant, demand.kind)))

# %%
display(
    Markdown(
        report.plan_markdown(
            rec, plan.status, plan.verdict.level, postpaid=plan.outlook is not None
        )
    )
)

# %%
found = plan.alerts
display(Markdown(alerts.alerts_markdown(found, only_high=True)))

# %% [markdown]
# ## Reading the funding plan

# %%
display(Markdown(report.reading_guide_markdown(postpaid=plan.outlook is not None)))

# %% [markdown]
# ## Today's balance
#
# How long today's funds last with no purchase at all, and what they may forfeit.

# %%
display(Markdown(report.position_markdown(rec)))

# %% [markdown]
# ## The demand used
#
# Daily credit demand of the history the scenarios are drawn from.

# %%
display(Markdown(report.demand_markdown(demand, history, currency)))

# %%
report.show(plots.demand_history(history, currency))

# %% [markdown]
# ## Demand scenarios
#
# Possible futures drawn from the history (whole weeks, matched by position in the month, with the growth trend): median and 25–75 % / 5–95 % bands.

# %%
report.show(plots.fan_chart(sc.paths, sc.start, currency, history=history))

# %%
display(Markdown(report.forecast_markdown(plan.forecast)))

# %%
report.show(forecast_chart(plan.forecast))

# %%
recharges = plan.outlook is None  # a post-paid tenant buys no credits: no recharge sections
display(Markdown(report.recharge_section("balance", recharges)))

# %%
sim = engine.paths(sc.paths, sc.start, rec.policy, lots=lots)
current_used = report.current_as_evaluated(rec)
sim_current = engine.paths(sc.paths, sc.start, current_used, lots=lots) if current_used else None

# %%
if recharges:
    report.show(
        plots.balance_trajectories(
            sim,
            sc.start,
            currency,
            threshold=rec.policy.threshold,
            compare=sim_current,
            compare_threshold=current_used.threshold if current_used else None,
        )
    )

# %%
display(Markdown(report.recharge_section("risk", recharges)))

# %%
if recharges:
    report.show(plots.risk(sim, currency, sc.start))

# %%
display(Markdown(report.recharge_section("frontier", recharges)))

# %%
if recharges:
    report.show(
        plots.frontier(
            rec.frontier, currency, alternatives=rec.alternatives, service_level=rec.service_level
        )
    )
    display(report.alternatives_table(rec))
    display(Markdown(report.alternatives_markdown(rec)))

# %%
display(Markdown(report.recharge_section("one_time", recharges)))

# %%
if recharges:
    display(Markdown(report.one_time_markdown(rec)))

# %% [markdown]
# ## Runway and expiry schedule
#
# Today's lots, when each expires, and how much of each is expected to be forfeited if no more funds are added.

# %%
if lots is not None:
    report.show(plots.runway(report.runway_distribution(sc, lots), alert_days, sc.horizon_days))
else:
    display(Markdown(report.missing_markdown("balance")))

# %%
expiry = analysis.lot_forfeiture(lots, sc.paths, sc.start) if lots is not None else None

# %%
if expiry is not None:
    report.show(plots.expiry_schedule(expiry, currency))
    display(report.table(expiry, currency, money=report.WORKBOOK_SHEETS["expiry_schedule"][1],
                         name="expiry_schedule"))  # fmt: skip

# %%
limits = plan.spend_limits()
display(Markdown(report.limits_section(limits)))

# %%
display(Markdown(report.recharge_section("emails", recharges)))

# %%
typical = engine.simulate(sc.paths[report.typical_path(sc.paths)], sc.start, rec.policy, lots=lots)
emails = report.email_table(typical.events, currency)

# %%
if recharges:
    display(Markdown(report.emails_markdown(emails, currency, sc.horizon_days)))
    display(report.table(emails, currency, money=("amount",), max_rows=25))

# %%
summary = report.plan_summary(
    rec,
    alert=alert,
    tenant=tenant,
    period=report.period_text(history.index.min(), history.index.max()),
    demand_kind=demand.kind,
    outlook=plan.outlook,
)
tables = {
    "daily_demand": demand.daily,
    **report.forecast_frame(plan.forecast),
    **report.limits_frame(limits),
}
if recharges:
    tables.update(alternatives=report.alternatives_frame(rec), emails=emails)
if expiry is not None:
    tables["expiry_schedule"] = expiry
tables["alerts"], summary["alerts"] = alerts.alerts_sheet(found), alerts.alerts_summary(found)
summary.update(plan.summary())
written = report.save_artifacts(artifacts_dir, tables=tables, summary=summary)
