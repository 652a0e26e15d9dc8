// The Flex Consumption (FC1) plan and the Python 3.11 function app. The app reads its deployment
// package and reaches storage, Service Bus and Application Insights with the user-assigned identity:
// every connection setting is the identity-based "<Connection>__..." form, with no keys anywhere. Flex
// rejects FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE,
// WEBSITE_CONTENT*, SCM_DO_BUILD_DURING_DEPLOYMENT and ENABLE_ORYX_BUILD, so none is set.
@description('Globally unique function app name.')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Region of the plan and the app.')
param location string

@description('Tags for the plan and the app.')
param tags object = {}

@description('The azure.yaml service this app hosts; azd finds the app by this tag.')
param serviceName string

@description('Resource id of the user-assigned identity.')
param identityId string

@description('Client id of the user-assigned identity.')
param identityClientId string

@description('Storage account behind AzureWebJobsStorage and PaymentsStorage.')
param storageAccountName string

@description('Primary blob endpoint of that account, with its trailing slash.')
param blobEndpoint string

@description('Primary queue endpoint of that account, with its trailing slash.')
param queueEndpoint string

@description('Primary table endpoint of that account (the payment index), with its trailing slash.')
param tableEndpoint string

@description('Container that holds the Flex deployment package.')
param deploymentContainerName string

@description('Host name of the Service Bus namespace (<name>.servicebus.windows.net).')
param serviceBusFullyQualifiedNamespace string

@description('Application Insights connection string (not a secret when local auth is off).')
param appInsightsConnectionString string

@minValue(40)
@maxValue(1000)
@description('Upper bound of instances.')
param maximumInstanceCount int = 100

@allowed([
  2048
  4096
])
@description('Memory of each instance in MB.')
param instanceMemoryMB int = 2048

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': serviceName
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      // No FTP(S) at all (deployments go through the blob container with Entra ID); HTTP/2 for callers
      // that can (checkov CKV_AZURE_78, CKV_AZURE_18/67).
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

// Identity-based connections only. The names match docs/architecture.md and shared/topology.
resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: {
    AzureWebJobsStorage__accountName: storageAccountName
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    PaymentsStorage__accountName: storageAccountName
    PaymentsStorage__blobServiceUri: blobEndpoint
    PaymentsStorage__queueServiceUri: queueEndpoint
    PaymentsStorage__tableServiceUri: tableEndpoint
    PaymentsStorage__credential: 'managedidentity'
    PaymentsStorage__clientId: identityClientId
    ServiceBusConnection__fullyQualifiedNamespace: serviceBusFullyQualifiedNamespace
    ServiceBusConnection__credential: 'managedidentity'
    ServiceBusConnection__clientId: identityClientId
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
    // With host.json telemetryMode OpenTelemetry: the worker's logs and the app's spans go out through
    // OpenTelemetry (shared/telemetry.py configures Microsoft's distro when the connection string is set).
    PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY: 'true'
    BLOB_TRIGGER_SOURCE: 'EventGrid'
  }
}

// Deployments go through Entra ID (azd uses a bearer token); basic publishing credentials stay off.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = functionApp.name
output id string = functionApp.id
output defaultHostName string = functionApp.properties.defaultHostName
