"""Collecting usage from Microsoft Graph on a schedule into the history store.

- :mod:`planner.collect.graph`: the Microsoft Graph client (MSAL app-only sign-in, paging,
  throttling, every answer checked before use);
- :mod:`planner.collect.fetch`: fetch call records from Graph into a store
  (:mod:`planner.store`);
- :mod:`planner.collect.summary`: what a store holds (``planner store``).

Modules are imported on use: ``planner ingest`` does not load MSAL or requests.
"""
