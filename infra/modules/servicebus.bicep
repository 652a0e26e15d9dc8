// The Service Bus namespace and every entity in the topology file (official emulator Config.json
// format, UserConfig.Namespaces[0]). Nothing here names a queue or topic: add or change entities in
// shared/topology/servicebus-config.json only. Empty strings in the file mean "not set" (null here).
@description('Globally unique namespace name.')
param name string

@description('Region of the namespace.')
param location string

@description('Tags for the namespace.')
param tags object = {}

@description('UserConfig.Namespaces[0] of shared/topology/servicebus-config.json.')
param topology object

@description('Properties that replace the file\'s on every queue, topic and subscription in Azure (production lifetimes).')
param entityOverrides object = {}

// Service defaults for any property the file leaves out ('' means "let the service choose").
var queueDefaults = {
  AutoDeleteOnIdle: ''
  DeadLetteringOnMessageExpiration: false
  DefaultMessageTimeToLive: ''
  DuplicateDetectionHistoryTimeWindow: ''
  EnableBatchedOperations: true
  EnablePartitioning: false
  ForwardDeadLetteredMessagesTo: ''
  ForwardTo: ''
  LockDuration: ''
  MaxDeliveryCount: 10
  MaxSizeInMegabytes: 1024
  RequiresDuplicateDetection: false
  RequiresSession: false
  Status: ''
}
var queueList = contains(topology, 'Queues') ? topology.Queues : []
var topicList = contains(topology, 'Topics') ? topology.Topics : []
var queues = [for q in queueList: {
  name: q.Name
  props: union(queueDefaults, contains(q, 'Properties') ? q.Properties : {}, entityOverrides)
}]

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

// One at a time, in file order, so a ForwardTo target listed earlier exists before its source.
@batchSize(1)
resource queueResources 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = [for q in queues: {
  parent: namespace
  name: q.name
  properties: {
    maxDeliveryCount: q.props.MaxDeliveryCount
    lockDuration: empty(q.props.LockDuration) ? null : q.props.LockDuration
    defaultMessageTimeToLive: empty(q.props.DefaultMessageTimeToLive) ? null : q.props.DefaultMessageTimeToLive
    deadLetteringOnMessageExpiration: q.props.DeadLetteringOnMessageExpiration
    requiresDuplicateDetection: q.props.RequiresDuplicateDetection
    duplicateDetectionHistoryTimeWindow: empty(q.props.DuplicateDetectionHistoryTimeWindow) ? null : q.props.DuplicateDetectionHistoryTimeWindow
    requiresSession: q.props.RequiresSession
    forwardTo: empty(q.props.ForwardTo) ? null : q.props.ForwardTo
    forwardDeadLetteredMessagesTo: empty(q.props.ForwardDeadLetteredMessagesTo) ? null : q.props.ForwardDeadLetteredMessagesTo
    autoDeleteOnIdle: empty(q.props.AutoDeleteOnIdle) ? null : q.props.AutoDeleteOnIdle
    enableBatchedOperations: q.props.EnableBatchedOperations
    enablePartitioning: q.props.EnablePartitioning
    maxSizeInMegabytes: q.props.MaxSizeInMegabytes
    status: empty(q.props.Status) ? null : q.props.Status
  }
}]

// Subscriptions may forward to queues, so topics come after them.
module topics 'servicebus-topic.bicep' = [for t in topicList: {
  name: take('sb-topic-${t.Name}', 64)
  params: {
    namespaceName: namespace.name
    topic: t
    entityOverrides: entityOverrides
  }
  dependsOn: [
    queueResources
  ]
}]

output name string = namespace.name
output id string = namespace.id
// serviceBusEndpoint is https://<fqdn>:443/ and the Functions setting wants <fqdn>. The split is on '/'
// because tree-sitter-bicep 1.1.0 wrongly reads a string that starts with two slashes as a comment.
output fullyQualifiedNamespace string = split(split(namespace.properties.serviceBusEndpoint, '/')[2], ':')[0]
