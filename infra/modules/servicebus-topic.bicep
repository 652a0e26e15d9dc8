// One topic from the topology file, and its subscriptions (each with its rules, in its own module).
@description('Name of the existing Service Bus namespace.')
param namespaceName string

@description('One entry of Topics in shared/topology/servicebus-config.json.')
param topic object

@description('Properties that replace the file\'s on the topic and each subscription (production lifetimes).')
param entityOverrides object = {}

// Service defaults for any property the file leaves out ('' means "let the service choose").
var topicDefaults = {
  AutoDeleteOnIdle: ''
  DefaultMessageTimeToLive: ''
  DuplicateDetectionHistoryTimeWindow: ''
  EnableBatchedOperations: true
  EnablePartitioning: false
  MaxSizeInMegabytes: 1024
  RequiresDuplicateDetection: false
  Status: ''
  SupportOrdering: true
}
var props = union(topicDefaults, contains(topic, 'Properties') ? topic.Properties : {}, entityOverrides)
var subscriptionList = contains(topic, 'Subscriptions') ? topic.Subscriptions : []

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: namespaceName
}

resource topicResource 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' = {
  parent: namespace
  name: topic.Name
  properties: {
    defaultMessageTimeToLive: empty(props.DefaultMessageTimeToLive) ? null : props.DefaultMessageTimeToLive
    requiresDuplicateDetection: props.RequiresDuplicateDetection
    duplicateDetectionHistoryTimeWindow: empty(props.DuplicateDetectionHistoryTimeWindow) ? null : props.DuplicateDetectionHistoryTimeWindow
    autoDeleteOnIdle: empty(props.AutoDeleteOnIdle) ? null : props.AutoDeleteOnIdle
    enableBatchedOperations: props.EnableBatchedOperations
    enablePartitioning: props.EnablePartitioning
    maxSizeInMegabytes: props.MaxSizeInMegabytes
    status: empty(props.Status) ? null : props.Status
    supportOrdering: props.SupportOrdering
  }
}

module subscriptions 'servicebus-subscription.bicep' = [for s in subscriptionList: {
  name: take('sb-sub-${topic.Name}-${s.Name}', 64)
  params: {
    namespaceName: namespaceName
    topicName: topicResource.name
    subscription: s
    entityOverrides: entityOverrides
  }
}]

output name string = topicResource.name
