"""The sample tenant: a fictional organisation's PSTN usage, generated from a seed.

Fabrikam Industries has about 250 Teams Phone users in the United States and France. Thirteen
months of its Calling Plans usage (2025-10-01 to 2026-10-31, UTC) are generated call by call
with office-hour, weekday, holiday, seasonal and growth rhythms, then priced with the
Communications Credits rules below. :func:`generate_sample` builds everything in memory;
:func:`write_sample` (and ``planner sample --out DIR``) writes the files shipped in
``planner/data/sample`` (package data, :func:`sample_dir`), which ``planner demo``, the
notebooks and many tests run on.

Pricing rules (per calendar month in UTC, calls in start-time order):

- outbound user calls (``user_out``, ``user_out_conf``, ``user_out_transfer``,
  ``user_out_forwarding``) to a domestic number draw on the domestic pool of the user's
  country and plan: users x minutes_per_user of that (country, plan) licence row, shared by
  the users with the same plan in the same country only (the 72 French ``MCOPSTN5`` users
  share 8,640 minutes, the 8 French ``MCOPSTN6`` users 1,920); once the pool is exhausted
  the rest of the month is priced, and a call that straddles the end of the pool pays only
  for its seconds beyond it;
- international calls by ``MCOPSTN2`` users draw on the international pool of their country
  and plan (600 minutes per ``MCOPSTN2`` user); international calls by users whose plan has no
  international minutes (``MCOPSTN1``, ``MCOPSTN5``, ``MCOPSTN6``) are priced from the first
  minute;
- toll-free inbound calls (``Number Type`` containing "toll") are priced from the first minute
  at the rate of their ``Destination Dialed`` (e.g. ``United States Toll Free``);
- conference dial-out (``conf_out``) to a Zone A country draws on the tenant-wide pool of 60
  minutes per Audio Conferencing (``MCOMEETADD``) licence; other destinations are priced from
  the first minute;
- everything else costs nothing to credits: ordinary inbound calls, emergency calls,
  ``FREECALL`` rows, Operator Connect calls (billed by the carrier) and ``MCOMEETACPEA``
  pay-per-minute conferencing (billed through the licensing agreement, not credits);
- a priced call costs ``ceil(billable_seconds / increment_seconds) * increment_seconds / 60 *
  per_minute`` rounded half-up to the cent (the ``Charge`` column) plus the rate's connection
  fee (the ``Connection Fee`` column), also on a call that straddles the end of a pool.

The rate of a call is the rate-card row whose ``destination`` equals its ``Destination
Dialed`` (case-insensitive), else the row named by its ``External Country`` code, else ``*``.

Modules, in the order the generator uses them: :mod:`~planner.sample.reference` (dates,
headers, countries, rates, names and rhythms), :mod:`~planner.sample.people` (the users),
:mod:`~planner.sample.traffic` (their calls), :mod:`~planner.sample.charges` (the rules
above), :mod:`~planner.sample.exports` (the admin center's export files),
:mod:`~planner.sample.readme` (the tenant's README) and :mod:`~planner.sample.tenant`
(:func:`generate_sample`, :func:`write_sample`, :func:`sample_dir`).
"""

from planner.sample.reference import CURRENCY, CURRENT_HEADER, LEGACY_HEADER, SAMPLE_SEED
from planner.sample.tenant import SampleTenant, generate_sample, sample_dir, write_sample

__all__ = [
    "CURRENCY",
    "CURRENT_HEADER",
    "LEGACY_HEADER",
    "SAMPLE_SEED",
    "SampleTenant",
    "generate_sample",
    "sample_dir",
    "write_sample",
]
