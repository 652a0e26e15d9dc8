// One topic subscription from the topology file, with its rules. Rules map the emulator format to ARM:
// FilterType Correlation or Sql (any case), CorrelationFilter (system fields and Properties), SqlFilter
// and Action. Adding the first rule through ARM replaces the implicit $Default (accept-all) rule.
@description('Name of the existing Service Bus namespace.')
param namespaceName string

@description('Name of the existing topic.')
param topicName string

@description('One entry of Subscriptions (under a topic) in shared/topology/servicebus-config.json.')
param subscription object

@description('Properties that replace the file\'s on this subscription (production lifetimes).')
param entityOverrides object = {}

// Service defaults for any property the file leaves out ('' means "let the service choose"). ARM has
// no RequiresDuplicateDetection, MaxSizeInMegabytes or EnablePartitioning on a subscription.
var subscriptionDefaults = {
  AutoDeleteOnIdle: ''
  DeadLetteringOnMessageExpiration: false
  DefaultMessageTimeToLive: ''
  DuplicateDetectionHistoryTimeWindow: ''
  EnableBatchedOperations: true
  ForwardDeadLetteredMessagesTo: ''
  ForwardTo: ''
  LockDuration: ''
  MaxDeliveryCount: 10
  RequiresSession: false
  Status: ''
}
var correlationDefaults = {
  ContentType: ''
  CorrelationId: ''
  Label: ''
  Subject: ''
  MessageId: ''
  ReplyTo: ''
  ReplyToSessionId: ''
  SessionId: ''
  To: ''
  Properties: {}
}
var props = union(subscriptionDefaults, contains(subscription, 'Properties') ? subscription.Properties : {}, entityOverrides)
var ruleList = contains(subscription, 'Rules') ? subscription.Rules : []
var rules = [for r in ruleList: {
  name: r.Name
  filterType: toLower(r.Properties.FilterType)
  correlation: union(correlationDefaults, contains(r.Properties, 'CorrelationFilter') ? r.Properties.CorrelationFilter : {})
  sqlExpression: contains(r.Properties, 'SqlFilter') ? r.Properties.SqlFilter.SqlExpression : ''
  actionExpression: contains(r.Properties, 'Action') ? r.Properties.Action.SqlExpression : ''
}]

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: namespaceName
}

resource topic 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' existing = {
  parent: namespace
  name: topicName
}

resource subscriptionResource 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' = {
  parent: topic
  name: subscription.Name
  properties: {
    maxDeliveryCount: props.MaxDeliveryCount
    lockDuration: empty(props.LockDuration) ? null : props.LockDuration
    defaultMessageTimeToLive: empty(props.DefaultMessageTimeToLive) ? null : props.DefaultMessageTimeToLive
    deadLetteringOnMessageExpiration: props.DeadLetteringOnMessageExpiration
    requiresSession: props.RequiresSession
    forwardTo: empty(props.ForwardTo) ? null : props.ForwardTo
    forwardDeadLetteredMessagesTo: empty(props.ForwardDeadLetteredMessagesTo) ? null : props.ForwardDeadLetteredMessagesTo
    duplicateDetectionHistoryTimeWindow: empty(props.DuplicateDetectionHistoryTimeWindow) ? null : props.DuplicateDetectionHistoryTimeWindow
    autoDeleteOnIdle: empty(props.AutoDeleteOnIdle) ? null : props.AutoDeleteOnIdle
    enableBatchedOperations: props.EnableBatchedOperations
    status: empty(props.Status) ? null : props.Status
  }
}

resource ruleResources 'Microsoft.ServiceBus/namespaces/topics/subscriptions/rules@2024-01-01' = [for r in rules: {
  parent: subscriptionResource
  name: r.name
  properties: {
    filterType: r.filterType == 'sql' ? 'SqlFilter' : 'CorrelationFilter'
    sqlFilter: r.filterType == 'sql' ? {
      sqlExpression: r.sqlExpression
    } : null
    correlationFilter: r.filterType == 'correlation' ? {
      contentType: empty(r.correlation.ContentType) ? null : r.correlation.ContentType
      correlationId: empty(r.correlation.CorrelationId) ? null : r.correlation.CorrelationId
      label: !empty(r.correlation.Label) ? r.correlation.Label : (empty(r.correlation.Subject) ? null : r.correlation.Subject)
      messageId: empty(r.correlation.MessageId) ? null : r.correlation.MessageId
      replyTo: empty(r.correlation.ReplyTo) ? null : r.correlation.ReplyTo
      replyToSessionId: empty(r.correlation.ReplyToSessionId) ? null : r.correlation.ReplyToSessionId
      sessionId: empty(r.correlation.SessionId) ? null : r.correlation.SessionId
      to: empty(r.correlation.To) ? null : r.correlation.To
      properties: r.correlation.Properties
    } : null
    action: empty(r.actionExpression) ? null : {
      sqlExpression: r.actionExpression
    }
  }
}]

output name string = subscriptionResource.name
