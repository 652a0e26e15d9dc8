// The Event Grid system topic on the storage account. Its event subscription (BlobCreated under
// incoming/ -> the blob extension webhook of FileValidator) is created by infra/hooks/postdeploy.*,
// because the webhook's blobs_extension key exists only once the code is deployed and the host runs.
// The topic's own identity writes undeliverable events to the dead-letter container.
@description('Name of the system topic.')
param name string

@description('Region of the storage account (a system topic lives where its source lives).')
param location string

@description('Tags for the topic.')
param tags object = {}

@description('Storage account whose blob events the topic publishes.')
param storageAccountName string

@description('Container that receives events Event Grid could not deliver.')
param deadLetterContainerName string

var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobService
  name: deadLetterContainerName
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

// Scoped to the one container: the topic can write dead letters and nothing else.
resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: deadLetterContainer
  name: guid(deadLetterContainer.id, systemTopic.id, storageBlobDataContributor)
  properties: {
    principalId: systemTopic.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
  }
}

output name string = systemTopic.name
output id string = systemTopic.id
