// Log search alerts on the pipeline's own signals, queried in Application Insights every 5 minutes. The
// KQL lives in infra/queries/*.kql (loaded here, quoted in docs/deploy.md), so the alert, the workbook and
// an operator's hand-run query are the same text. Why each fires is in docs/deploy.md ("Alerts").
@description('Prefix of the rule names.')
param namePrefix string

@description('Region of the Application Insights component (a log alert lives in its scope\'s region).')
param location string

@description('Tags for every rule.')
param tags object = {}

@description('Resource id of the Application Insights component the queries run in.')
param appInsightsId string

@description('Action group to notify; empty: the alerts fire without notifying anyone.')
param actionGroupId string = ''

// name -> how the rule reads its query's rows. Count: rows per dimension; Total: the sum of `measure`.
var rules = [
  {
    name: 'needs-attention'
    description: 'A file needs a person: a failure handler gave up, a compensation dead-lettered, the reconciler gave up, or an Event Grid dead-letter is unreadable (one series per signal).'
    severity: 1
    query: loadTextContent('../queries/needs-attention.kql')
    aggregation: 'Count'
    measure: ''
    operator: 'GreaterThan'
    threshold: 0
    dimensions: [
      'signal'
    ]
    window: 'PT5M'
  }
  {
    name: 'reconciler-repairs'
    description: 'The reconciler repaired files the event-driven pipeline lost (a lost or dead-lettered blob event, a stalled file failed and compensated).'
    severity: 2
    query: loadTextContent('../queries/reconciler-repairs.kql')
    aggregation: 'Total'
    measure: 'repairs'
    operator: 'GreaterThan'
    threshold: 0
    dimensions: []
    window: 'PT5M'
  }
  {
    name: 'eventgrid-dead-lettered'
    description: 'Event Grid dead-lettered BlobCreated events for incoming/ (the reconciler drove their files).'
    severity: 2
    query: loadTextContent('../queries/eventgrid-dead-lettered.kql')
    aggregation: 'Total'
    measure: 'eventgrid'
    operator: 'GreaterThan'
    threshold: 0
    dimensions: []
    window: 'PT5M'
  }
  {
    name: 'function-failures'
    description: 'A function failed more than 5 times in 15 minutes (one series per function).'
    severity: 2
    query: loadTextContent('../queries/function-failures.kql')
    aggregation: 'Count'
    measure: ''
    operator: 'GreaterThan'
    threshold: 5
    dimensions: [
      'function'
    ]
    window: 'PT15M'
  }
  {
    name: 'reconciler-silent'
    description: 'The reconciler has not run for 30 minutes (it runs every 5): nothing would find a lost file.'
    severity: 1
    query: loadTextContent('../queries/reconciler-silent.kql')
    aggregation: 'Count'
    measure: ''
    operator: 'LessThan'
    threshold: 1
    dimensions: []
    window: 'PT30M'
  }
]

resource logAlerts 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [for rule in rules: {
  name: '${namePrefix}-${rule.name}'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: '${namePrefix}-${rule.name}'
    description: rule.description
    severity: rule.severity
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: rule.window
    criteria: {
      allOf: [
        {
          query: rule.query
          timeAggregation: rule.aggregation
          metricMeasureColumn: empty(rule.measure) ? null : rule.measure
          operator: rule.operator
          threshold: rule.threshold
          dimensions: [for dimension in rule.dimensions: {
            name: dimension
            operator: 'Include'
            values: [
              '*'
            ]
          }]
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: empty(actionGroupId) ? [] : [
        actionGroupId
      ]
    }
  }
}]

output ruleNames array = [for (rule, i) in rules: logAlerts[i].name]
