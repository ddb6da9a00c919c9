"""The history store: every call record ever read, kept in monthly Parquet files.

Below both :mod:`planner.ingest` (which reads exports into it) and :mod:`planner.collect`
(which fetches Graph pages into it); it imports neither.

- :mod:`planner.store.layout`: where things lie in a store directory, and the checks that
  keep every path inside it (no heavy imports);
- :mod:`planner.store.tables`: the planner's own record tables (Parquet / CSV) read back;
- :mod:`planner.store.dedup`: de-duplication on ``(kind, usage_id)``;
- :mod:`planner.store.history`: the append-only, de-duplicated store and its writer.
"""
