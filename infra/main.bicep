// Entry point for `azd up`: one resource group holding the payment-file pipeline on Flex Consumption.
// Every connection is identity-based (one user-assigned identity); no key or connection string with a
// secret is created, stored or output. The Service Bus topology is not written here: it is loaded from
// shared/topology/servicebus-config.json, the same file the local emulators read.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; names the resource group and seeds the resource token.')
param environmentName string

// azd offers only these regions (the location prompt honours @allowed). The list is the one in
// Microsoft's azd Flex Consumption quickstarts (functions-quickstart-python-azd-otel), without the
// eastus2euap canary that ordinary subscriptions cannot use. Flex reaches more regions over time:
// `az functionapp list-flexconsumption-locations` is the authority; add a region here when it lists one.
@minLength(1)
@description('Region for every resource; only regions that run the Flex Consumption plan are allowed.')
@allowed([
  'australiaeast'
  'eastasia'
  'eastus'
  'eastus2'
  'northeurope'
  'southcentralus'
  'southeastasia'
  'swedencentral'
  'uksouth'
  'westus2'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Email address that receives the dead-letter alert. Empty: the alert fires without notifying anyone.')
param alertEmail string = ''

@description('Object id of the person or pipeline running azd (azd sets AZURE_PRINCIPAL_ID). It gets data access to drop files and replay messages. Empty: no access is granted.')
param principalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
])
@description('Kind of principal that principalId names.')
param principalType string = 'User'

@description('How long a message may wait in Azure (every queue, topic and subscription), ISO 8601. The topology file keeps PT1H, the local emulators\' cap; a backlog or outage longer than this sends valid files to failed.')
param messageTimeToLive string = 'P14D'

@minValue(40)
@maxValue(1000)
@description('Upper bound of Flex Consumption instances for the function app.')
param maximumInstanceCount int = 100

@allowed([
  2048
  4096
])
@description('Memory of each Flex Consumption instance in MB.')
param instanceMemoryMB int = 2048

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}

// The one topology file, in the official Service Bus emulator Config.json format.
var topology = loadJsonContent('../shared/topology/servicebus-config.json')

// What Azure gets instead of the file's emulator-friendly values: Microsoft's emulator caps a message's
// time to live at one hour, Azure does not, and an hour is shorter than an outage can be. Applied to the
// Properties of every queue, topic and subscription (tests/infra/test_topology_drift.py pins the list).
var productionEntityProperties = {
  DefaultMessageTimeToLive: messageTimeToLive
}

// Storage containers. appContainers must equal shared/topology CONTAINERS (tests/infra checks it).
var appContainers = [
  'incoming'
  'outgoing'
  'rejected'
  'failed'
  'reference'
  'workflow'
  'reports'
]
// Tables. appTables must equal [shared/topology PAYMENT_CLAIMS_TABLE] (tests/infra checks it).
var appTables = [
  'paymentclaims'
]
var deploymentContainerName = 'app-package'
var eventGridDeadLetterContainerName = 'eventgrid-deadletter'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    appInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    containerNames: concat(appContainers, [
      deploymentContainerName
      eventGridDeadLetterContainerName
    ])
    tableNames: appTables
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  scope: rg
  params: {
    name: 'sb-${resourceToken}'
    location: location
    tags: tags
    topology: topology.UserConfig.Namespaces[0]
    entityOverrides: productionEntityProperties
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    name: 'func-${resourceToken}'
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    serviceName: 'api'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
}

module roles 'modules/role-assignments.bicep' = {
  name: 'role-assignments'
  scope: rg
  params: {
    identityPrincipalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

module eventGrid 'modules/eventgrid.bicep' = {
  name: 'eventgrid'
  scope: rg
  params: {
    name: 'evgt-${resourceToken}'
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
    deadLetterContainerName: eventGridDeadLetterContainerName
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    actionGroupName: 'ag-${resourceToken}'
    alertName: 'alert-deadlettered-${resourceToken}'
    tags: tags
    serviceBusNamespaceName: serviceBus.outputs.name
    alertEmail: alertEmail
  }
}

module logAlerts 'modules/log-alerts.bicep' = {
  name: 'log-alerts'
  scope: rg
  params: {
    namePrefix: 'alert-${resourceToken}'
    location: location
    tags: tags
    appInsightsId: monitoring.outputs.appInsightsId
    actionGroupId: alerts.outputs.actionGroupId
  }
}

module eventGridAlert 'modules/eventgrid-alert.bicep' = {
  name: 'eventgrid-alert'
  scope: rg
  params: {
    alertName: 'alert-eventgrid-deadlettered-${resourceToken}'
    tags: tags
    systemTopicName: eventGrid.outputs.name
    actionGroupId: alerts.outputs.actionGroupId
  }
}

module workbook 'modules/workbook.bicep' = {
  name: 'workbook'
  scope: rg
  params: {
    displayName: 'Payment pipeline (${environmentName})'
    location: location
    tags: tags
    appInsightsId: monitoring.outputs.appInsightsId
  }
}

// Read by azd (and written to .azure/<env>/.env) and by infra/hooks/postdeploy.*.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_HOSTNAME string = functionApp.outputs.defaultHostName
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_ACCOUNT_ID string = storage.outputs.id
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output AZURE_SERVICEBUS_NAMESPACE string = serviceBus.outputs.name
output AZURE_SERVICEBUS_FULLY_QUALIFIED_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace
output AZURE_EVENTGRID_SYSTEM_TOPIC_NAME string = eventGrid.outputs.name
output AZURE_EVENTGRID_DEADLETTER_CONTAINER string = eventGridDeadLetterContainerName
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.appInsightsName
