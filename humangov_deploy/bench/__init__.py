"""`humangov bench`: a bounded load of realistic mixes against a deployed state, and against a baseline.

The parts: mixes (what a mix is, pure), locustfile (the load, run by locust in a subprocess), results
(locust's CSV to figures and ratios, pure), plot (the PNG), records (bench records made and removed
through the app's API), baseline (the seed's gunicorn configuration as a second stack on Docker),
machine (what the figures were measured on) and runner (one run, start to end, cleanup always).
Nothing here is imported by the platforms: the bench sits on top of them, like the CLI.
"""
