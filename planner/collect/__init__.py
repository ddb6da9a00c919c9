"""Collecting usage on a schedule and keeping it: the history store and the Graph client.

- :mod:`planner.collect.layout`: where things lie in a store directory (no heavy imports);
- :mod:`planner.collect.tables`: the planner's own record tables (Parquet / CSV) read back;
- :mod:`planner.collect.store`: the append-only, de-duplicated history store;
- :mod:`planner.collect.graph`: the Microsoft Graph client (MSAL app-only sign-in, paging,
  throttling);
- :mod:`planner.collect.fetch`: fetch call records from Graph into a store.

Modules are imported on use: ``planner ingest`` does not load MSAL or requests.
"""
