"""Write the report notebooks (stored without outputs): `python notebooks/make_notebooks.py`.

The notebooks communicate; `planner` computes. Each code cell is one call and one display.
Edit this file, re-run it, and commit the regenerated .ipynb files with it.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
#: where the notebooks are written: inside the package, which ships them (package data)
OUT_DIR = HERE.parent / "planner" / "notebooks"

SETUP = """\
from typing import Optional, Union

from IPython.display import Markdown, display

from planner import analysis, engine, plots, report, text
"""

LANG = """\
lang: str = "en"  # language of the report: "en" or "fr" (a language is a file in planner/text/locales)
"""

USE_LANG = "text.set_language(lang)"


def md(text: str):
    return nbformat.v4.new_markdown_cell(text.strip())


def code(text: str):
    return nbformat.v4.new_code_cell(text.strip())


def intro(text: str):
    """A Markdown cell for people running the notebook by hand (left out of the HTML report)."""
    cell = md(text)
    cell.metadata["tags"] = ["report-hide"]
    return cell


def parameters(text: str):
    cell = code(text)
    cell.metadata["tags"] = ["parameters"]
    return cell


def notebook(cells: list, title: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (planner)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["title"] = title
    return nb


USAGE = [
    intro(
        "# PSTN usage analysis\n\n"
        "For analysts: what the tenant's calls were, what they cost in Communications "
        "Credits, who and what drove the spend. Run it as it is on the sample tenant, or set "
        "the parameters below (`planner report` does it for you)."
    ),
    code(SETUP),
    parameters(
        """\
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
"""
        + LANG
    ),
    code(USE_LANG),
    code(
        "inputs = report.resolve_inputs(exports, departments=departments, "
        "user_licences=user_licences, licences=licences)"
    ),
    code("from planner.ingest import read_exports\n\ningest = read_exports(inputs.exports)"),
    code(
        'currency = (currency or analysis.credit_currency(ingest.records, default="USD")).upper()\n'
        "records = analysis.in_currency(ingest.records, currency)"
    ),
    code(
        "from planner.inputs import read_licences, read_user_licences\n\n"
        "user_lic = read_user_licences(inputs.user_licences) if inputs.user_licences else None"
    ),
    code("quality = analysis.data_quality(ingest)"),
    code("monthly = analysis.monthly_summary(records, user_lic)"),
    code("display(Markdown(report.usage_heading(quality, records, currency, tenant)))"),
    code("display(Markdown(report.usage_key_figures(monthly, currency)))"),
    md(
        "## Data quality\n\nWhat was read, what was set aside and why: every row of every "
        "file is accounted for."
    ),
    code("display(Markdown(report.quality_markdown(quality)))"),
    code("display(report.table(report.files_view(quality['files'])))"),
    code(
        "display(report.table(quality['rejects_by_reason'], empty=text.t('No row was rejected.')))"
    ),
    md(
        "## Monthly minutes and credit spend\n\nMinutes of all calls, and the credit spend by "
        "category; the label on each bar is the change on the month before."
    ),
    code("report.show(plots.monthly_usage(monthly, currency))"),
    code(
        "display(report.table(monthly.drop(columns=['credit_calls', 'credit_minutes', "
        "'credit_change_cents']), currency))"
    ),
    md(
        "## Credit spend by day\n\nEvery day of the period; the shaded bands are the last days "
        "of each month, where month-end peaks would show."
    ),
    code("daily = analysis.daily_credit_spend(records)"),
    code("report.show(plots.daily_spend(daily, currency, month_end_days))"),
    code(
        "report.show(plots.day_of_month(analysis.spend_by_day_of_month(daily), currency, "
        "month_end_days))"
    ),
    code(
        "display(Markdown(report.month_end_markdown(analysis.month_end_share(daily, "
        "month_end_days), month_end_days)))"
    ),
    code(
        "from planner import alerts\n\n"
        "display(Markdown(alerts.alerts_markdown(alerts.detect_alerts(ingest.records))))"
    ),
    md("## Who spends: users and departments"),
    code("report.show(plots.top_users(analysis.by_user(records, inputs.departments), currency, top_n))"),
    code(
        "display(report.table(analysis.top_spenders(records, top_n, inputs.departments), currency))"
    ),
    code(
        "if inputs.departments:\n"
        "    report.show(plots.top_departments(analysis.by_department(records, "
        "inputs.departments), currency, top_n))\n"
        "else:\n"
        "    display(Markdown(report.missing_markdown('departments')))"
    ),
    md("## Destinations and call types\n\nOutbound calls by destination, and every call by type."),
    code("report.show(plots.top_destinations(analysis.by_destination(records), currency, top_n))"),
    code("report.show(plots.call_types(analysis.by_call_type(records), currency))"),
    md("## When people call\n\nCalls by weekday and hour of the call start."),
    code(
        "report.show(plots.hour_weekday_heatmap(analysis.hour_weekday(records, timezone), "
        "'Calls', timezone))"
    ),
    md(
        "## Toll-free numbers\n\nEvery toll-free minute is paid from credits: use per month, "
        "by number."
    ),
    code("report.show(plots.toll_free(analysis.toll_free_usage(records), currency))"),
    code("display(report.table(analysis.toll_free_usage(records, by='number'), currency))"),
    md(
        "## Minute pools\n\nMinutes each pool covered per month against its size; minutes "
        "beyond a pool are paid from credits. Needs the licence counts (--licences)."
    ),
    code(
        "if inputs.licences:\n"
        "    report.show(plots.pool_usage(analysis.pool_usage(records, "
        "read_licences(inputs.licences), user_lic)))\n"
        "else:\n"
        "    display(Markdown(report.missing_markdown('licences')))"
    ),
    md(
        "## Users drawing on credits without the licence\n\nUsers need the Communications "
        "Credits licence (MCOPSTNC) to use credits; for meeting dial-out, the organizer does."
    ),
    code(
        "if user_lic is not None:\n"
        "    display(report.table(analysis.unlicensed_credit_users(records, user_lic), currency, "
        "empty=text.t('Every user who drew on credits holds the licence.')))\n"
        "else:\n"
        "    display(Markdown(report.missing_markdown('user_licences')))"
    ),
    code(
        "written = report.save_artifacts(artifacts_dir, tables={'monthly_usage': "
        "report.monthly_table(monthly)})"
    ),
]

FUNDING = [
    intro(
        "# Communications Credits funding plan\n\n"
        "For admins: how much to add now, the auto-recharge amount and trigger, and the risk "
        "and cost of each choice. Run it as it is on the sample tenant, or set the parameters "
        "below (`planner report` does it for you)."
    ),
    code(SETUP + "from planner import pipeline\nfrom planner.recommend import alert_status\n"),
    parameters(
        """\
exports: Union[str, list, None] = None  # usage export files or folders (a path or a list); None: the sample tenant
currency: Optional[str] = None  # billing currency (ISO 4217); None: the exports' one currency
service_level: float = 0.99  # wanted share of simulated years without running out of credit (0.5 to < 1)
horizon_days: int = 365  # days to plan ahead
lead_days: int = 1  # days between a recharge trigger and the funds being usable
holding_rate: float = 0.05  # yearly cost of money tied up in the balance (0.05 is 5 %)
recharge_overhead: float = 10.0  # cost of handling one purchase invoice, in the billing currency
min_amount: float = 50  # smallest amount the admin center accepts (funding, recharge amount, trigger)
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
tenant: Optional[str] = None  # tenant name for the heading; None: the users' e-mail domain
artifacts_dir: Optional[str] = None  # set by `planner report`: where the tables and summary.json go
"""
        + LANG
    ),
    code(USE_LANG),
    code(
        "inputs = report.resolve_inputs(exports, balance=balance, user_licences=user_licences, "
        "licences=licences, rates=rates)"
    ),
    code("from planner.ingest import read_exports\n\ningest = read_exports(inputs.exports)"),
    code(
        "lots = pipeline.load_lots(inputs.balance)\n"
        "demand = pipeline.demand_from_records(ingest.records, licences=inputs.licences, "
        "rates=inputs.rates, user_licences=inputs.user_licences)\n"
        "history, currency = demand.series(currency)"
    ),
    code(
        "options = pipeline.PlanOptions(service_level=service_level, horizon_days=horizon_days, "
        "lead_days=lead_days, holding_rate=holding_rate, recharge_overhead=recharge_overhead, "
        "growth=growth, n_scenarios=n_scenarios, seed=seed, alert_days=alert_days, "
        "min_amount=min_amount, failure_prob=failure_rate, fix_days=fix_days)\n"
        "current = pipeline.current_policy(current_recharge_amount, current_threshold, "
        "auto_recharge=current_auto_recharge, balance=current_balance, lead_days=lead_days, "
        "failure_prob=failure_rate, fix_days=fix_days, min_amount=min_amount)"
    ),
    code(
        "rec = pipeline.plan(history, currency, options=options, lots=lots, current=current)\n"
        "lots = rec.lots\n"
        "sc = rec.scenarios\n"
        "alert = alert_status(rec, alert_days)\n"
        "tenant = report.tenant_label(ingest.records, tenant)"
    ),
    code("display(Markdown(report.plan_heading(rec, history, tenant, demand.kind)))"),
    code("display(Markdown(report.plan_markdown(rec, alert[1], alert[0])))"),
    code(
        "from planner import alerts\n\n"
        "found = alerts.detect_alerts(ingest.records, lots=lots)\n"
        "display(Markdown(alerts.alerts_markdown(found, only_high=True)))"
    ),
    md("## Reading the funding plan"),
    code("display(Markdown(report.reading_guide_markdown()))"),
    md(
        "## Today's balance\n\nHow long today's funds last with no purchase at all, and what "
        "they may forfeit."
    ),
    code("display(Markdown(report.position_markdown(rec)))"),
    md("## The demand used\n\nDaily credit demand of the history the scenarios are drawn from."),
    code("display(Markdown(report.demand_markdown(demand, history, currency)))"),
    code("report.show(plots.demand_history(history, currency))"),
    md(
        "## Demand scenarios\n\nPossible futures drawn from the history (whole weeks, matched "
        "by position in the month, with the growth trend): median and 25–75 % / 5–95 % bands."
    ),
    code("report.show(plots.fan_chart(sc.paths, sc.start, currency, history=history))"),
    md(
        "## Balance under the recommended settings\n\nThe balance day by day over every "
        "scenario; with the admin's current settings when given."
    ),
    code(
        "sim = engine.paths(sc.paths, sc.start, rec.policy, lots=lots)\n"
        "current_used = report.current_as_evaluated(rec)\n"
        "sim_current = engine.paths(sc.paths, sc.start, current_used, lots=lots) "
        "if current_used else None"
    ),
    code(
        "report.show(plots.balance_trajectories(sim, sc.start, currency, "
        "threshold=rec.policy.threshold, compare=sim_current, "
        "compare_threshold=current_used.threshold if current_used else None))"
    ),
    md(
        "## Forfeiture and stock-out risk\n\nFunds expiring unused, and when the balance would "
        "run dry, across the scenarios (recommended settings)."
    ),
    code("report.show(plots.risk(sim, currency, sc.start))"),
    md(
        "## Cost against risk\n\nEach point is a policy the search simulated: expected cost "
        "(forfeiture + money tied up + recharge handling) against the chance of running out."
    ),
    code(
        "report.show(plots.frontier(rec.frontier, currency, alternatives=rec.alternatives, "
        "service_level=rec.service_level))"
    ),
    code("display(report.alternatives_table(rec))"),
    code("display(Markdown(report.alternatives_markdown(rec)))"),
    md("## One-time funding\n\nWhat a single purchase without auto-recharge would do."),
    code("display(Markdown(report.one_time_markdown(rec)))"),
    md(
        "## Runway and expiry schedule\n\nToday's lots, when each expires, and how much of "
        "each is expected to be forfeited if no more funds are added."
    ),
    code(
        "if lots is not None:\n"
        "    report.show(plots.runway(report.runway_distribution(sc, lots), alert_days, "
        "sc.horizon_days))\n"
        "else:\n"
        "    display(Markdown(report.missing_markdown('balance')))"
    ),
    code(
        "expiry = analysis.lot_forfeiture(lots, sc.paths, sc.start) if lots is not None else None"
    ),
    code(
        "if expiry is not None:\n"
        "    report.show(plots.expiry_schedule(expiry, currency))\n"
        "    display(report.table(expiry, currency, "
        "money=report.WORKBOOK_SHEETS['expiry_schedule'][1]))"
    ),
    md(
        "## The e-mails Microsoft would send\n\nOn a typical scenario (median demand) under the "
        "recommended settings."
    ),
    code(
        "typical = engine.simulate(sc.paths[report.typical_path(sc.paths)], sc.start, "
        "rec.policy, lots=lots)\n"
        "emails = report.email_table(typical.events, currency)"
    ),
    code("display(Markdown(report.emails_markdown(emails, currency, sc.horizon_days)))"),
    code("display(report.table(emails, currency, money=('amount',), max_rows=25))"),
    code(
        "summary = report.plan_summary(rec, alert=alert, tenant=tenant, "
        "period=report.period_text(history.index.min(), history.index.max()), "
        "demand_kind=demand.kind)\n"
        "tables = {'daily_demand': demand.daily, 'alternatives': report.alternatives_frame(rec), "
        "'emails': emails}\n"
        "if expiry is not None:\n"
        "    tables['expiry_schedule'] = expiry\n"
        "tables['alerts'], summary['alerts'] = alerts.alerts_sheet(found), "
        "alerts.alerts_summary(found)\n"
        "written = report.save_artifacts(artifacts_dir, tables=tables, summary=summary)"
    ),
]


def build() -> dict:
    """The report notebooks by name, as nbformat nodes."""
    out = {}
    for name, cells, title in (
        ("usage_analysis", USAGE, "PSTN usage analysis"),
        ("funding_plan", FUNDING, "Communications Credits funding plan"),
    ):
        nb = notebook(cells, title)
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"{name[:5]}-{i:02d}"
        nbformat.validate(nb)
        out[name] = nb
    return out


def main(out_dir: Path = OUT_DIR) -> None:
    for name, nb in build().items():
        nbformat.write(nb, out_dir / f"{name}.ipynb")
        print(out_dir / f"{name}.ipynb")


if __name__ == "__main__":
    main()
