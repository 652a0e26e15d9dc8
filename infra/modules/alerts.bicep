// The action group, and a metric alert on messages sitting in a dead-letter queue. DeadletteredMessages
// is a point-in-time count per entity, where an entity is a queue or a topic (a subscription's DLQ counts
// under its topic): our handlers drain the DLQs within seconds, so this fires only when a dead-letter
// handler is not running or keeps failing. The files themselves are covered by the log alerts
// (log-alerts.bicep: needs-attention, reconciler-repairs, function-failures).
@description('Name of the action group.')
param actionGroupName string

@description('Name of the metric alert.')
param alertName string

@description('Tags for both resources.')
param tags object = {}

@description('Service Bus namespace to watch.')
param serviceBusNamespaceName string

@description('Email that receives the alert; empty creates no action group.')
param alertEmail string = ''

@minValue(0)
@maxValue(4)
@description('Alert severity (0 critical to 4 verbose).')
param severity int = 2

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'payments'
    enabled: true
    emailReceivers: [
      {
        name: 'operations'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

resource deadLetterAlert 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: alertName
  location: 'global'
  tags: tags
  properties: {
    description: 'Messages are sitting in a dead-letter queue of the payment pipeline (one series per queue or topic): a dead-letter handler is not draining it.'
    severity: severity
    enabled: true
    scopes: [
      namespace.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'DeadletteredMessages'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'DeadletteredMessages'
          dimensions: [
            {
              name: 'EntityName'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Maximum'
        }
      ]
    }
    actions: empty(alertEmail) ? [] : [
      {
        actionGroupId: resourceId('Microsoft.Insights/actionGroups', actionGroupName)
      }
    ]
  }
  dependsOn: [
    actionGroup
  ]
}

output alertId string = deadLetterAlert.id
output actionGroupId string = empty(alertEmail) ? '' : actionGroup.id
