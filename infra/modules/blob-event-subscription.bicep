// The Event Grid subscription that drives FileValidator's blob trigger (source EventGrid): BlobCreated
// events under one container, pushed to the Functions blob extension webhook. Not part of main.bicep:
// infra/hooks/postdeploy.* deploys it after the code, because the webhook's blobs_extension key exists
// only then, and Event Grid validates the webhook (the host must answer) when the subscription is saved.
// Re-deploying is an idempotent PUT. Undeliverable events go to a container, written with the system
// topic's own identity: access stays identity-based, as everywhere else (storage shared keys are off).
@minLength(3)
@maxLength(64)
@description('Name of the event subscription (letters and digits).')
param name string

@description('Name of the existing Event Grid system topic on the storage account.')
param systemTopicName string

@secure()
@description('https://<defaultHostName>/runtime/webhooks/blobs?functionName=Host.Functions.<Name>&code=<blobs_extension key>')
param webhookUrl string

@description('Container whose new blobs trigger the function.')
param containerName string

@description('Resource id of the storage account that receives dead-lettered events.')
param deadLetterStorageAccountId string

@description('Container that receives dead-lettered events.')
param deadLetterContainerName string

@minValue(1)
@maxValue(30)
@description('Delivery attempts before an event is dead-lettered.')
param maxDeliveryAttempts int = 30

@minValue(1)
@maxValue(1440)
@description('Minutes Event Grid keeps retrying an event.')
param eventTimeToLiveInMinutes int = 1440

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: systemTopicName
}

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: systemTopic
  name: name
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: webhookUrl
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
      ]
      subjectBeginsWith: '/blobServices/default/containers/${containerName}/'
    }
    retryPolicy: {
      maxDeliveryAttempts: maxDeliveryAttempts
      eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: deadLetterStorageAccountId
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

output name string = subscription.name
