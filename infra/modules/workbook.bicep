// The pipeline's dashboard: an Azure Workbook over Application Insights. Each tile runs one query from
// infra/queries/workbook-*.kql, the same text docs/deploy.md tells an operator to run by hand.
@description('Display name of the workbook.')
param displayName string

@description('Region of the workbook.')
param location string

@description('Tags for the workbook.')
param tags object = {}

@description('Resource id of the Application Insights component the tiles query.')
param appInsightsId string

var tiles = [
  {
    title: 'Files per terminal state'
    query: loadTextContent('../queries/workbook-terminal-states.kql')
    visualization: 'timechart'
  }
  {
    title: 'Failed invocations by step'
    query: loadTextContent('../queries/workbook-failures-by-step.kql')
    visualization: 'timechart'
  }
  {
    title: 'Dead-letter handlers and reconciler repairs'
    query: loadTextContent('../queries/workbook-dead-letters-and-repairs.kql')
    visualization: 'timechart'
  }
  {
    title: 'End-to-end duration per file (s): p50, p90, p99'
    query: loadTextContent('../queries/workbook-end-to-end-duration.kql')
    visualization: 'timechart'
  }
  {
    title: 'Files that need a person'
    query: loadTextContent('../queries/needs-attention.kql')
    visualization: 'table'
  }
]

var workbookContent = {
  version: 'Notebook/1.0'
  items: [for (tile, i) in tiles: {
    type: 3
    name: 'tile-${i}'
    content: {
      version: 'KqlItem/1.0'
      title: tile.title
      query: tile.query
      size: 0
      timeContext: {
        durationMs: 86400000
      }
      queryType: 0
      resourceType: 'microsoft.insights/components'
      visualization: tile.visualization
    }
  }]
  fallbackResourceIds: [
    appInsightsId
  ]
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, appInsightsId, 'payments-pipeline-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: appInsightsId
    serializedData: string(workbookContent)
  }
}

output workbookId string = workbook.id
