#!/usr/bin/env bash
# `make test`: every test on SQLite, then the tests that touch a database again on PostgreSQL.
#
# The PostgreSQL run leaves out the browser journeys (marked `browser`, by folder) and the tests
# marked `no_database`: tests/README.md says which tests run on both databases and why. Each run
# spreads its tests over TEST_WORKERS pytest-xdist workers (default 2, one per core of CI's
# machine; 0 runs them in this process). Arguments go to both runs, e.g. a file or `-x`.
#
# Both runs always run, and a failure in either fails the script. What it prints last is a pytest
# summary line, as CI reads it: the failing run's, or PostgreSQL's when both pass. Just above it
# come the wall-clock time of the whole `make test` (from TEST_STARTED, epoch seconds, when set)
# and the other run's summary.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
WORKERS=${TEST_WORKERS:-2}
started=${TEST_STARTED:-$(date +%s)}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

run() { # database, then pytest's arguments
  local database=$1 begun status
  shift
  begun=$(date +%s)
  TEST_DATABASE=$database "$PY" -m pytest -n "$WORKERS" "$@" 2>&1 | tee "$logs/$database"
  status=${PIPESTATUS[0]}
  # 5: every test given was left out (say, only browser tests on PostgreSQL), which is no failure.
  if [ "$status" = 5 ] && [ "$database" = postgresql ]; then status=0; fi
  echo $(($(date +%s) - begun)) >"$logs/$database.seconds"
  echo "$status" >"$logs/$database.status"
}

summary() { # pytest's summary line ("==== 3 passed in 1.00s ===="), else the run's last line
  grep -E '^=+ .* in [0-9.]+s( \([0-9:]+\))? =+$' "$logs/$1" | tail -n 1 | grep . || tail -n 1 "$logs/$1"
}

minutes() {
  echo "$(($1 / 60)) min $(($1 % 60)) s"
}

run sqlite "$@"
run postgresql -m "not browser and not no_database" "$@"

sqlite=$(cat "$logs/sqlite.status")
postgresql=$(cat "$logs/postgresql.status")
first=sqlite last=postgresql
if [ "$sqlite" != 0 ] && [ "$postgresql" = 0 ]; then
  first=postgresql last=sqlite
fi
declare -A label=([sqlite]="SQLite, every test" [postgresql]="PostgreSQL, the tests that touch a database")

echo
echo "make test took $(minutes $(($(date +%s) - started))) wall-clock in all" \
  "(SQLite run $(minutes "$(cat "$logs/sqlite.seconds")")," \
  "PostgreSQL run $(minutes "$(cat "$logs/postgresql.seconds")"));" \
  "load average now $(cut -d' ' -f1-3 /proc/loadavg)"
echo "${label[$first]}: $(summary "$first")"
echo "${label[$last]}:"
summary "$last"
[ "$sqlite" = 0 ] && [ "$postgresql" = 0 ]
