#!/bin/sh
# azd postdeploy hook (POSIX sh; infra/hooks/postdeploy.ps1 is the same for Windows).
#
# 1. Waits for the blob extension's system key, which the host creates only once the deployed code is
#    indexed with the Event Grid blob trigger source (BLOB_TRIGGER_SOURCE=EventGrid).
# 2. Deploys infra/modules/blob-event-subscription.bicep (an idempotent PUT): the Event Grid subscription
#    on the storage account's system topic, BlobCreated under incoming/ -> FileValidator's blob extension
#    webhook, with a retry policy and dead-lettering through the topic's own identity. (The az eventgrid
#    command has no option for a system topic's dead-letter identity; the template does.)
# 3. Uploads the default reference table (samples/reference-table.json) if the reference container has
#    none yet; an operator's edited copy is never overwritten.
#
# Inputs: the azd environment (AZURE_* outputs of infra/main.bicep). azd passes them to hooks; when the
# script is run by hand it asks `azd env get-value`. Needs the Azure CLI signed in (`az login`).
set -eu

FUNCTION_NAME="FileValidator"          # @app.function_name of the blob trigger: Host.Functions.FileValidator
BLOB_CONTAINER="incoming"              # the trigger's container (shared/topology INCOMING_CONTAINER)
EVENT_SUBSCRIPTION="FileValidatorIncoming"  # Event Grid allows letters and digits (3-64)
SUBSCRIPTION_TEMPLATE="infra/modules/blob-event-subscription.bicep"
REFERENCE_CONTAINER="reference"        # shared/topology REFERENCE_CONTAINER
REFERENCE_BLOB="reference-table.json"  # shared/topology REFERENCE_TABLE_BLOB
KEY_ATTEMPTS="${POSTDEPLOY_KEY_ATTEMPTS:-30}"
RETRY_DELAY_SECONDS="${POSTDEPLOY_RETRY_DELAY_SECONDS:-10}"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)

info() { echo "postdeploy: $*"; }
warn() { echo "postdeploy: WARNING: $*" >&2; }
fail() { echo "postdeploy: ERROR: $*" >&2; exit 1; }

# require NAME: take NAME from the environment, else from the azd environment, else fail.
require() {
  eval "value=\${$1:-}"
  if [ -z "$value" ] && command -v azd >/dev/null 2>&1; then
    value=$(azd env get-value "$1" 2>/dev/null || true)
  fi
  [ -n "$value" ] || fail "$1 is not set; run 'azd provision' first (it is an output of infra/main.bicep)"
  eval "$1=\$value"
}

for name in AZURE_SUBSCRIPTION_ID AZURE_RESOURCE_GROUP AZURE_FUNCTION_APP_NAME AZURE_FUNCTION_APP_HOSTNAME \
  AZURE_STORAGE_ACCOUNT_NAME AZURE_STORAGE_ACCOUNT_ID AZURE_EVENTGRID_SYSTEM_TOPIC_NAME \
  AZURE_EVENTGRID_DEADLETTER_CONTAINER; do
  require "$name"
done

command -v az >/dev/null 2>&1 || fail "the Azure CLI (az) is required: https://aka.ms/installazurecli"
az account show --only-show-errors >/dev/null 2>&1 \
  || fail "the Azure CLI is not signed in: run 'az login' ('azd auth login' does not sign in az)"

# Any request starts a scaled-to-zero Flex app; the host writes its system keys when it starts.
if command -v curl >/dev/null 2>&1; then
  curl --silent --output /dev/null --max-time 60 "https://${AZURE_FUNCTION_APP_HOSTNAME}/" || true
fi

key=""
attempt=1
while [ "$attempt" -le "$KEY_ATTEMPTS" ]; do
  key=$(az functionapp keys list --subscription "$AZURE_SUBSCRIPTION_ID" \
    --resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTION_APP_NAME" \
    --query "systemKeys.blobs_extension" --output tsv 2>/dev/null || true)
  [ -n "$key" ] && break
  info "waiting for the blobs_extension system key of $AZURE_FUNCTION_APP_NAME ($attempt/$KEY_ATTEMPTS)"
  sleep "$RETRY_DELAY_SECONDS"
  attempt=$((attempt + 1))
done
[ -n "$key" ] || fail "$AZURE_FUNCTION_APP_NAME has no blobs_extension system key after $KEY_ATTEMPTS attempts. \
The host creates it when it indexes a blob trigger whose source is EventGrid: check that 'azd deploy' \
succeeded, that the app setting BLOB_TRIGGER_SOURCE is EventGrid, and that \
'az functionapp function list -g $AZURE_RESOURCE_GROUP -n $AZURE_FUNCTION_APP_NAME' lists $FUNCTION_NAME."

# The key is part of the URL: never echo it. The template takes it as a @secure() parameter, so the
# deployment history does not keep it.
endpoint="https://${AZURE_FUNCTION_APP_HOSTNAME}/runtime/webhooks/blobs?functionName=Host.Functions.${FUNCTION_NAME}&code=${key}"

info "deploying Event Grid subscription $EVENT_SUBSCRIPTION on $AZURE_EVENTGRID_SYSTEM_TOPIC_NAME"
az deployment group create \
  --subscription "$AZURE_SUBSCRIPTION_ID" \
  --resource-group "$AZURE_RESOURCE_GROUP" \
  --name "$EVENT_SUBSCRIPTION" \
  --template-file "$ROOT/$SUBSCRIPTION_TEMPLATE" \
  --parameters \
    name="$EVENT_SUBSCRIPTION" \
    systemTopicName="$AZURE_EVENTGRID_SYSTEM_TOPIC_NAME" \
    webhookUrl="$endpoint" \
    containerName="$BLOB_CONTAINER" \
    deadLetterStorageAccountId="$AZURE_STORAGE_ACCOUNT_ID" \
    deadLetterContainerName="$AZURE_EVENTGRID_DEADLETTER_CONTAINER" \
  --only-show-errors --output none \
  || fail "could not deploy Event Grid subscription $EVENT_SUBSCRIPTION (Event Grid validates the webhook: is $FUNCTION_NAME running?)"
info "blobs created under $BLOB_CONTAINER/ now trigger Host.Functions.$FUNCTION_NAME"

# Best effort: the signed-in principal needs Storage Blob Data Contributor (main.bicep grants it to
# AZURE_PRINCIPAL_ID), and a fresh role assignment can take a few minutes to apply.
reference_file="$ROOT/samples/$REFERENCE_BLOB"
if [ ! -f "$reference_file" ]; then
  warn "$reference_file not found; upload a reference table to $REFERENCE_CONTAINER/$REFERENCE_BLOB yourself"
  exit 0
fi
attempt=1
while [ "$attempt" -le 6 ]; do
  exists=$(az storage blob exists --auth-mode login --account-name "$AZURE_STORAGE_ACCOUNT_NAME" \
    --container-name "$REFERENCE_CONTAINER" --name "$REFERENCE_BLOB" \
    --query exists --output tsv 2>/dev/null || echo unknown)
  case "$exists" in
    true)
      info "kept the existing $REFERENCE_CONTAINER/$REFERENCE_BLOB"
      exit 0 ;;
    false)
      if az storage blob upload --auth-mode login --account-name "$AZURE_STORAGE_ACCOUNT_NAME" \
        --container-name "$REFERENCE_CONTAINER" --name "$REFERENCE_BLOB" --file "$reference_file" \
        --content-type application/json --only-show-errors --output none; then
        info "uploaded the default reference table to $REFERENCE_CONTAINER/$REFERENCE_BLOB"
        exit 0
      fi ;;
  esac
  sleep "$RETRY_DELAY_SECONDS"
  attempt=$((attempt + 1))
done
warn "could not read or write $REFERENCE_CONTAINER/$REFERENCE_BLOB on $AZURE_STORAGE_ACCOUNT_NAME (role assignment \
not yet effective?). Upload it later: az storage blob upload --auth-mode login --account-name \
$AZURE_STORAGE_ACCOUNT_NAME --container-name $REFERENCE_CONTAINER --name $REFERENCE_BLOB --file $reference_file"
