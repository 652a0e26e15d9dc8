// The storage account for both connection names: AzureWebJobsStorage (host: blob-trigger queues, the
// poison queue, leases) and PaymentsStorage (the pipeline's containers and the payment index table), plus the Flex deployment
// package and Event Grid dead letters. Shared keys are off, so only Entra ID identities get in.
@minLength(3)
@maxLength(24)
@description('Globally unique storage account name (lowercase letters and digits).')
param name string

@description('Region of the account.')
param location string

@description('Tags for the account.')
param tags object = {}

@description('Every blob container to create (pipeline, deployment package, Event Grid dead letters).')
param containerNames array

@description('Every table to create (the payment index: shared/topology PAYMENT_CLAIMS_TABLE).')
param tableNames array

@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
// Zone-redundant by default: the account holds the payment files and their only archive, and every
// region main.bicep allows has availability zones (checkov CKV_AZURE_206 flagged LRS).
@description('Replication of the account.')
param skuName string = 'Standard_ZRS'

@minValue(1)
@maxValue(365)
@description('Days a deleted blob or container can still be restored.')
param deleteRetentionDays int = 7

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: deleteRetentionDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: deleteRetentionDays
    }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for containerName in containerNames: {
  parent: blobService
  name: containerName
  properties: {
    publicAccess: 'None'
  }
}]

// The host creates its own queues (blob-trigger work items, webjobs-blobtrigger-poison) on first use.
resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

// The payment index (which file claimed each sender's payment id) lives in Table Storage on this account.
resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for tableName in tableNames: {
  parent: tableService
  name: tableName
}]

output name string = storage.name
output id string = storage.id
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
