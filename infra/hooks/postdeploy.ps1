#!/usr/bin/env pwsh
# azd postdeploy hook for Windows (PowerShell 7); infra/hooks/postdeploy.sh is the same for POSIX.
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
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$FunctionName = 'FileValidator'            # @app.function_name of the blob trigger: Host.Functions.FileValidator
$BlobContainer = 'incoming'                # the trigger's container (shared/topology INCOMING_CONTAINER)
$EventSubscription = 'FileValidatorIncoming'  # Event Grid allows letters and digits (3-64)
$SubscriptionTemplate = 'infra/modules/blob-event-subscription.bicep'
$ReferenceContainer = 'reference'          # shared/topology REFERENCE_CONTAINER
$ReferenceBlob = 'reference-table.json'    # shared/topology REFERENCE_TABLE_BLOB
$KeyAttempts = if ($env:POSTDEPLOY_KEY_ATTEMPTS) { [int]$env:POSTDEPLOY_KEY_ATTEMPTS } else { 30 }
$RetryDelaySeconds = if ($env:POSTDEPLOY_RETRY_DELAY_SECONDS) { [int]$env:POSTDEPLOY_RETRY_DELAY_SECONDS } else { 10 }

$Root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

function Write-Info([string]$Message) { Write-Host "postdeploy: $Message" }
function Write-Warn([string]$Message) { Write-Warning "postdeploy: $Message" }
function Stop-Hook([string]$Message) { [Console]::Error.WriteLine("postdeploy: ERROR: $Message"); exit 1 }

# Take a value from the environment, else from the azd environment, else fail.
function Get-Required([string]$Name) {
    $value = [Environment]::GetEnvironmentVariable($Name)
    if (-not $value -and (Get-Command azd -ErrorAction SilentlyContinue)) {
        $value = (& azd env get-value $Name 2>$null)
        if ($LASTEXITCODE -ne 0) { $value = $null }
    }
    if (-not $value) { Stop-Hook "$Name is not set; run 'azd provision' first (it is an output of infra/main.bicep)" }
    return "$value".Trim()
}

$SubscriptionId = Get-Required 'AZURE_SUBSCRIPTION_ID'
$ResourceGroup = Get-Required 'AZURE_RESOURCE_GROUP'
$AppName = Get-Required 'AZURE_FUNCTION_APP_NAME'
$AppHostName = Get-Required 'AZURE_FUNCTION_APP_HOSTNAME'
$StorageAccountName = Get-Required 'AZURE_STORAGE_ACCOUNT_NAME'
$StorageAccountId = Get-Required 'AZURE_STORAGE_ACCOUNT_ID'
$SystemTopicName = Get-Required 'AZURE_EVENTGRID_SYSTEM_TOPIC_NAME'
$DeadLetterContainer = Get-Required 'AZURE_EVENTGRID_DEADLETTER_CONTAINER'

if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
    Stop-Hook 'the Azure CLI (az) is required: https://aka.ms/installazurecli'
}
& az account show --only-show-errors *> $null
if ($LASTEXITCODE -ne 0) { Stop-Hook "the Azure CLI is not signed in: run 'az login' ('azd auth login' does not sign in az)" }

# Any request starts a scaled-to-zero Flex app; the host writes its system keys when it starts.
try { Invoke-WebRequest -Uri "https://$AppHostName/" -TimeoutSec 60 -SkipHttpErrorCheck *> $null } catch { }

$key = $null
for ($attempt = 1; $attempt -le $KeyAttempts; $attempt++) {
    $key = (& az functionapp keys list --subscription $SubscriptionId --resource-group $ResourceGroup `
            --name $AppName --query 'systemKeys.blobs_extension' --output tsv 2>$null)
    if ($LASTEXITCODE -eq 0 -and $key) { break }
    $key = $null
    Write-Info "waiting for the blobs_extension system key of $AppName ($attempt/$KeyAttempts)"
    Start-Sleep -Seconds $RetryDelaySeconds
}
if (-not $key) {
    Stop-Hook ("$AppName has no blobs_extension system key after $KeyAttempts attempts. The host creates it " +
        "when it indexes a blob trigger whose source is EventGrid: check that 'azd deploy' succeeded, that the " +
        "app setting BLOB_TRIGGER_SOURCE is EventGrid, and that 'az functionapp function list -g $ResourceGroup " +
        "-n $AppName' lists $FunctionName.")
}

# The key is part of the URL: never echo it. The template takes it as a @secure() parameter, so the
# deployment history does not keep it.
$key = "$key".Trim()
$endpoint = "https://$AppHostName/runtime/webhooks/blobs?functionName=Host.Functions.$FunctionName&code=$key"

Write-Info "deploying Event Grid subscription $EventSubscription on $SystemTopicName"
& az deployment group create `
    --subscription $SubscriptionId `
    --resource-group $ResourceGroup `
    --name $EventSubscription `
    --template-file (Join-Path $Root $SubscriptionTemplate) `
    --parameters `
        "name=$EventSubscription" `
        "systemTopicName=$SystemTopicName" `
        "webhookUrl=$endpoint" `
        "containerName=$BlobContainer" `
        "deadLetterStorageAccountId=$StorageAccountId" `
        "deadLetterContainerName=$DeadLetterContainer" `
    --only-show-errors --output none
if ($LASTEXITCODE -ne 0) {
    Stop-Hook "could not deploy Event Grid subscription $EventSubscription (Event Grid validates the webhook: is $FunctionName running?)"
}
Write-Info "blobs created under $BlobContainer/ now trigger Host.Functions.$FunctionName"

# Best effort: the signed-in principal needs Storage Blob Data Contributor (main.bicep grants it to
# AZURE_PRINCIPAL_ID), and a fresh role assignment can take a few minutes to apply.
$referenceFile = Join-Path $Root "samples/$ReferenceBlob"
if (-not (Test-Path $referenceFile)) {
    Write-Warn "$referenceFile not found; upload a reference table to $ReferenceContainer/$ReferenceBlob yourself"
    exit 0
}
for ($attempt = 1; $attempt -le 6; $attempt++) {
    $exists = (& az storage blob exists --auth-mode login --account-name $StorageAccountName `
            --container-name $ReferenceContainer --name $ReferenceBlob --query exists --output tsv 2>$null)
    if ($LASTEXITCODE -eq 0 -and $exists -eq 'true') {
        Write-Info "kept the existing $ReferenceContainer/$ReferenceBlob"
        exit 0
    }
    if ($LASTEXITCODE -eq 0 -and $exists -eq 'false') {
        & az storage blob upload --auth-mode login --account-name $StorageAccountName `
            --container-name $ReferenceContainer --name $ReferenceBlob --file $referenceFile `
            --content-type application/json --only-show-errors --output none
        if ($LASTEXITCODE -eq 0) {
            Write-Info "uploaded the default reference table to $ReferenceContainer/$ReferenceBlob"
            exit 0
        }
    }
    Start-Sleep -Seconds $RetryDelaySeconds
}
Write-Warn ("could not read or write $ReferenceContainer/$ReferenceBlob on $StorageAccountName (role assignment not " +
    "yet effective?). Upload it later: az storage blob upload --auth-mode login --account-name $StorageAccountName " +
    "--container-name $ReferenceContainer --name $ReferenceBlob --file $referenceFile")
