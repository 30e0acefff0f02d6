# The two commands of the README. Both work on a fresh machine and again on the same one.
.PHONY: run test

run:  ## serve the site on http://127.0.0.1:$${PORT:-8000} (SQLite unless DATABASE_URL is set)
	bash scripts/run.sh

test:  ## install what is missing, start a throwaway PostgreSQL, lint, and run every test
	bash scripts/test.sh
