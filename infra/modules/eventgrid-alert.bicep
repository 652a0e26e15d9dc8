// Event Grid's own count of the events it dead-lettered (BlobCreated it could not deliver to
// FileValidator after its retries): fires even when the reconciler, which counts them too, is down.
@description('Name of the metric alert.')
param alertName string

@description('Tags for the alert.')
param tags object = {}

@description('Name of the Event Grid system topic on the storage account.')
param systemTopicName string

@description('Action group to notify; empty: the alert fires without notifying anyone.')
param actionGroupId string = ''

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: systemTopicName
}

resource deadLetteredEvents 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: alertName
  location: 'global'
  tags: tags
  properties: {
    description: 'Event Grid dead-lettered blob events for the pipeline (one series per event subscription).'
    severity: 2
    enabled: true
    scopes: [
      systemTopic.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'DeadLetteredCount'
          metricNamespace: 'Microsoft.EventGrid/systemTopics'
          metricName: 'DeadLetteredCount'
          dimensions: [
            {
              name: 'EventSubscriptionName'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Total'
        }
      ]
    }
    actions: empty(actionGroupId) ? [] : [
      {
        actionGroupId: actionGroupId
      }
    ]
  }
}

output alertId string = deadLetteredEvents.id
