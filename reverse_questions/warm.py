"""The reverse questions' part of a process's warm-up (gunicorn.conf.py `warm`): both pages' first-visit
answers, computed before the first request.

That reads the catalog-wide tables the pages share (once per catalog version: catalog/cache.py, kept in the
process) and builds the engine's tables of each (model, format) the answer tries (`memory.sized` and what it
reads: the engine keeps them per spec object, and the tables' specs are the same objects for every later
question). Without it, a worker's first answer spent twice to three times the CPU of its second (a 3060's
what-runs: 324 ms against 109; gpt-oss-120b's what-hardware: 138 against 51, on a busy 2-core machine); after
it, 138 and 62: later questions, on other devices or another model, find the tables.
"""

from . import views


def warm() -> None:
    views.what_runs_answer(views.query_of(views.WHAT_RUNS_FIRST_VISIT))
    views.what_hardware_answer(views.query_of(views.WHAT_HARDWARE_FIRST_VISIT))
