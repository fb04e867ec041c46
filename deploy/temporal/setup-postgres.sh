#!/bin/sh
# One-shot schema setup for Temporal on PostgreSQL, run by the temporal-admin-tools service.
# Creates the `temporal` and `temporal_visibility` databases if missing and brings both schemas
# to the version shipped in the admin-tools image. Safe to re-run: `create` ignores an existing
# database, `setup-schema -v 0.0` leaves a newer schema version alone, and `update-schema` only
# applies the versions not yet applied.
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS is required (PostgreSQL host)}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${SQL_PASSWORD:?SQL_PASSWORD is required (read by temporal-sql-tool)}"

DB_PLUGIN=${DB:-postgres12}
DB_PORT=${DB_PORT:-5432}
DBNAME=${DBNAME:-temporal}
VISIBILITY_DBNAME=${VISIBILITY_DBNAME:-temporal_visibility}
SCHEMA_DIR=${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}
MAX_ATTEMPTS=${SETUP_MAX_ATTEMPTS:-30}
SLEEP_SECONDS=${SETUP_SLEEP_SECONDS:-2}

log() {
  printf 'setup-postgres: %s\n' "$*"
}

# retry WHAT COMMAND [ARG...]: run COMMAND until it succeeds, at most MAX_ATTEMPTS times.
retry() {
  what=$1
  shift
  attempt=1
  until "$@"; do
    if [ "$attempt" -ge "$MAX_ATTEMPTS" ]; then
      log "giving up: $what failed after $MAX_ATTEMPTS attempts"
      return 1
    fi
    log "$what not done yet (attempt $attempt/$MAX_ATTEMPTS), retrying in ${SLEEP_SECONDS}s"
    attempt=$((attempt + 1))
    sleep "$SLEEP_SECONDS"
  done
}

sql_tool() {
  temporal-sql-tool --plugin "$DB_PLUGIN" --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

# setup_database DB SCHEMA: create DB and migrate it with $SCHEMA_DIR/SCHEMA/versioned.
# Called as a retry condition, where `set -e` does not apply: every step checks its own status.
setup_database() {
  sql_tool --db "$1" create || return 1
  sql_tool --db "$1" setup-schema -v 0.0 || return 1
  sql_tool --db "$1" update-schema -d "$SCHEMA_DIR/$2/versioned" || return 1
}

log "waiting for PostgreSQL at $POSTGRES_SEEDS:$DB_PORT"
retry "PostgreSQL port" nc -z -w 5 "$POSTGRES_SEEDS" "$DB_PORT"

log "setting up database '$DBNAME'"
retry "schema setup of '$DBNAME'" setup_database "$DBNAME" temporal

log "setting up database '$VISIBILITY_DBNAME'"
retry "schema setup of '$VISIBILITY_DBNAME'" setup_database "$VISIBILITY_DBNAME" visibility

log "PostgreSQL schema setup complete"
