#!/bin/sh
# One-shot setup run by the temporal-create-namespace service once the server is up:
#   1. waits (bounded) for `temporal operator cluster health`;
#   2. creates the namespace if it does not exist;
#   3. registers Aftercare's custom search attributes (ORDER_SA and CUSTOMER_SA in src/workflows/*/contract.ts, TENANT_SA in src/workflows/tenant.ts).
# Idempotent: an existing namespace or search attribute is left as it is.
set -eu

ADDRESS=${TEMPORAL_ADDRESS:-temporal:7233}
NAMESPACE=${TEMPORAL_NAMESPACE:-default}
RETENTION=${TEMPORAL_NAMESPACE_RETENTION:-72h}
MAX_ATTEMPTS=${SETUP_MAX_ATTEMPTS:-30}
SLEEP_SECONDS=${SETUP_SLEEP_SECONDS:-5}

# name:type, one per line. Exactly SEARCH_ATTRIBUTE_KEYS (ORDER_SA, CUSTOMER_SA, TENANT_SA), as
# test/unit/stack-sync.test.ts checks; SQL visibility has 10 Keyword slots, all taken (docs/deployment.md).
SEARCH_ATTRIBUTES='
AftercareCustomerId:Keyword
AftercareOrderId:Keyword
AftercareStage:Keyword
AftercareWaitingFor:Keyword
AftercareNextActionAt:Datetime
AftercareDeliveryFailures:Int
AftercareLastFailureAt:Datetime
AftercareStuck:Keyword
AftercareStuckSince:Datetime
AftercareContactKeys:KeywordList
AftercareBlockedChannels:KeywordList
AftercareMarketingConsent:Keyword
AftercareSegment:Keyword
AftercareTier:Keyword
AftercareRfm:Keyword
AftercareLifetimeValue:Int
AftercareTenant:Keyword
'

log() {
  printf 'create-namespace: %s\n' "$*"
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

# The functions below run as retry conditions, where `set -e` does not apply: each checks its
# own status and returns non-zero on failure.

is_already_exists() {
  case $1 in
    *"already exists"* | *"AlreadyExists"* | *"already registered"*) return 0 ;;
    *) return 1 ;;
  esac
}

cluster_healthy() {
  temporal operator cluster health --address "$ADDRESS"
}

ensure_namespace() {
  if temporal operator namespace describe --namespace "$NAMESPACE" --address "$ADDRESS" >/dev/null 2>&1; then
    log "namespace '$NAMESPACE' already exists"
    return 0
  fi
  if out=$(temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION" \
    --address "$ADDRESS" 2>&1); then
    log "namespace '$NAMESPACE' created (retention $RETENTION)"
    return 0
  fi
  if is_already_exists "$out"; then
    log "namespace '$NAMESPACE' already exists"
    return 0
  fi
  log "namespace create: $out"
  return 1
}

# ensure_search_attribute NAME TYPE
ensure_search_attribute() {
  if out=$(temporal operator search-attribute create --namespace "$NAMESPACE" --name "$1" --type "$2" \
    --address "$ADDRESS" 2>&1); then
    log "search attribute $1 ($2) registered"
    return 0
  fi
  case $out in
    *"different type"*)
      # The CLI checks the type of an existing attribute: a mismatch needs a person, not a retry.
      log "search attribute $1 exists with a type other than $2: $out"
      exit 1
      ;;
  esac
  if is_already_exists "$out"; then
    log "search attribute $1 already exists"
    return 0
  fi
  log "search attribute $1: $out"
  return 1
}

log "waiting for the Temporal cluster at $ADDRESS"
retry "cluster health" cluster_healthy

retry "namespace '$NAMESPACE'" ensure_namespace

for spec in $SEARCH_ATTRIBUTES; do
  name=${spec%%:*}
  type=${spec#*:}
  retry "search attribute $name" ensure_search_attribute "$name" "$type"
done

log "custom search attributes of namespace '$NAMESPACE':"
temporal operator search-attribute list --namespace "$NAMESPACE" --address "$ADDRESS" || true

log "done"
