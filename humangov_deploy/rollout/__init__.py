"""`humangov rollout`: one version to many states, in waves after a canary, with halt and rollback.

It knows no platform: it drives the `Platform` interface (humangov_deploy.platforms.base) and keeps its
record in the platform's `RecordStore`. plan (which state when, pure), record (what happened, as text any
runner can read), runner (waves, halt, rollback), report (the table and the JSON).
"""
