// Pulsecheck in one resource group (docs/deployment.md):
//   az deployment group create --resource-group rg-pulsecheck \
//     --template-file infra/main.bicep --parameters @infra/main.parameters.json
//
// Hosting: Azure Functions Elastic Premium (Linux), not a Container Apps environment. Why:
// - the pipeline deploys to a staging slot and swaps; Premium has deployment slots, Functions on
//   Container Apps has revisions instead, and Flex Consumption runs no containers;
// - the dispatcher timer must fire every 10 s without cold starts; Premium keeps at least one
//   always-ready instance and makes the timer a singleton across instances (blob lease);
// - Premium supports VNet integration, for checks of private endpoints (docs/security.md).

targetScope = 'resourceGroup'

@description('Name of the function app; also the prefix of the other resources. At most 24 characters, so the staging slot\'s host ID (the first 32 characters of "<name>-staging") never collides with production\'s.')
@minLength(3)
@maxLength(24)
param appName string

@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('More regions, besides `location`, each running its own Function app (own plan, own host storage: its own dispatcher timer and queue) against the shared tables and Key Vault, e.g. [ "eastus" ] (docs/scaling.md, Several regions). Empty: one region.')
param regions array = []

@description('Container image the app and its staging slot run. The default, the empty Functions base image, is a placeholder until the first deployment; the pipeline replaces it on each deployment; when you re-run this template on a live app, pass the image currently in production.')
param containerImage string = 'mcr.microsoft.com/azure-functions/node:4-node22'

@description('Elastic Premium size: EP1 (1 vCPU, 3.5 GB), EP2 or EP3.')
@allowed([
  'EP1'
  'EP2'
  'EP3'
])
param planSku string = 'EP1'

@description('Instances kept warm (always ready): the dispatcher timer never waits for a cold start.')
@minValue(1)
@maxValue(20)
param minimumInstances int = 1

@description('Largest number of instances the plan scales out to.')
@minValue(1)
@maxValue(100)
param maximumInstances int = 3

@description('How scheduled checks run (PULSECHECK_DISPATCH, docs/scaling.md): inline (on the instance that holds the dispatcher timer) or queue (one message per occurrence on the queue pulsecheck-checks, run by whichever instance takes it). Every app of every region gets it; each app\'s identity already has Storage Queue Data Contributor on its host storage for it.')
@allowed([
  'inline'
  'queue'
])
param dispatch string = 'inline'

@description('Send traces and metrics to Datadog: sets the DD_* settings, DD_API_KEY as a Key Vault reference to the secret "dd-api-key".')
param datadogEnabled bool = true

@description('Datadog site, e.g. datadoghq.com, datadoghq.eu, us3.datadoghq.com.')
param datadogSite string = 'datadoghq.com'

@description('Deployment environment, reported as DD_ENV and in resource tags.')
param environmentName string = 'prod'

@description('More app settings filled from Key Vault: setting name -> secret name, e.g. {
  "PAGER_TOKEN": "pager-token"
}.')
param keyVaultSettings object = {}

@description('Plain app settings added to both slots, e.g. {
  "PULSECHECK_TICK_SCHEDULE": "*/10 * * * * *"
}.')
param extraSettings object = {}

@description('Object ID of the Jenkins service principal: AcrPush on the registry and Website Contributor on the app. Empty: no role assigned.')
param deployerPrincipalId string = ''

@description('Object ID of the operator who writes secrets (az ad signed-in-user show --query id): Key Vault Secrets Officer. Empty: no role assigned.')
param secretsOfficerPrincipalId string = ''

@description('Client ID of the Entra ID app registration that fronts the API with App Service Authentication; its app roles (Pulsecheck.Reader, .Operator, .Admin) are in infra/app-roles.json (docs/security.md, Roles and access). Empty: authentication is off and function keys guard the API (any valid key is admin).')
param authClientId string = ''

@description('Tenant of that app registration. Default: the subscription\'s tenant.')
param authTenantId string = subscription().tenantId

@description('Who sees the status page and the badges (PULSECHECK_STATUS_PAGE, docs/status-page.md, Access): private (readers), public (anyone, jobs tagged public only) or off. Sets the app setting; with App Service Authentication on, public also lets the page, its data, its files and the badges through without a token.')
@allowed([
  'private'
  'public'
  'off'
])
param statusPage string = 'private'

@description('E-mail that receives availability alerts. Empty: the alert fires without notifying anyone.')
param alertEmail string = ''

@description('Availability (percent of up runs per job over 5 minutes) under which the alert fires.')
@minValue(1)
@maxValue(100)
param availabilityThreshold int = 90

var suffix = uniqueString(resourceGroup().id, appName)
var tags = {
  app: 'pulsecheck'
  environment: environmentName
}

// Built-in role definition IDs (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
var roles = {
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
  acrPush: '8311e382-0749-4cb8-b61a-304f252e45ec'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  websiteContributor: 'de139f84-1756-47ae-9be6-808fbbbabf7a'
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${appName}'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${appName}'
  location: location
  kind: 'web'
  tags: tags
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
  }
}

// The Functions host's storage (timer leases, keys) and Pulsecheck's tables, which the apps of
// `regions` share. No shared keys: the app reaches it with its managed identity
// (AzureWebJobsStorage__accountName).
resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'st${take(toLower(replace(appName, '-', '')), 9)}${suffix}'
  location: location
  tags: tags
  sku: {
    name: 'Standard_LRS'
  }
  kind: 'StorageV2'
  properties: {
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    supportsHttpsTrafficOnly: true
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv${take(toLower(replace(appName, '-', '')), 9)}${suffix}'
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
  }
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: 'acr${toLower(replace(appName, '-', ''))}${suffix}'
  location: location
  tags: tags
  sku: {
    name: 'Basic'
  }
  properties: {
    adminUserEnabled: false
  }
}

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: 'plan-${appName}'
  location: location
  tags: tags
  kind: 'elastic'
  sku: {
    name: planSku
    tier: 'ElasticPremium'
  }
  properties: {
    reserved: true
    maximumElasticWorkerCount: maximumInstances
  }
}

var keyVaultReference = '@Microsoft.KeyVault(VaultName=${vault.name};SecretName='
var datadogSettings = datadogEnabled
  ? {
      DD_API_KEY: '${keyVaultReference}dd-api-key)'
      DD_SITE: datadogSite
      DD_ENV: environmentName
      DD_SERVICE: 'pulsecheck'
      DD_LOGS_INJECTION: 'true'
      DD_LOGS_ENABLED: 'true'
    }
  : {}
var secretSettings = toObject(items(keyVaultSettings), entry => entry.key, entry => '${keyVaultReference}${entry.value})')

// Settings both slots share. Key Vault references are resolved by the platform with the slot's own
// identity; KEY_VAULT_URL is for secrets Pulsecheck reads itself (${secret:name} in jobs).
// PULSECHECK_STATUS_PAGE comes last, from the statusPage parameter, so it wins over extraSettings:
// the app and the platform's excludedPaths (authSettings) always agree.
var commonSettings = union(
  {
    FUNCTIONS_EXTENSION_VERSION: '~4'
    FUNCTIONS_WORKER_RUNTIME: 'node'
    WEBSITES_ENABLE_APP_SERVICE_STORAGE: 'false'
    AzureWebJobsStorage__accountName: storage.name
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
    KEY_VAULT_URL: vault.properties.vaultUri
    PULSECHECK_LOG_FORMAT: 'json'
    PULSECHECK_DISPATCH: dispatch
    PULSECHECK_SELF_SCHEME: 'https'
    PULSECHECK_SELF_KEY: '${keyVaultReference}pulsecheck-self-key)'
  },
  datadogSettings,
  secretSettings,
  extraSettings,
  {
    PULSECHECK_STATUS_PAGE: statusPage
  }
)

// The staging slot must not run scheduled checks next to production: its dispatcher timer is off.
// The setting is sticky (slotConfigNames below), so it never follows the code into production.
var stagingOnlySettings = {
  'AzureWebJobs.dispatcher.Disabled': 'true'
  'AzureWebJobs.retention.Disabled': 'true'
}

var siteConfig = {
  linuxFxVersion: 'DOCKER|${containerImage}'
  acrUseManagedIdentityCreds: true
  minimumElasticInstanceCount: minimumInstances
  healthCheckPath: '/api/health'
  ftpsState: 'Disabled'
  minTlsVersion: '1.2'
  http20Enabled: true
}

// One more app per region of `regions` (infra/region.bicep): the checks run from each region, and each
// location's job state is kept apart in the shared tables (PULSECHECK_RUN_LOCATION).
module regionApps 'region.bicep' = [
  for region in regions: {
    name: 'region-${region}'
    params: {
      appName: appName
      region: region
      containerImage: containerImage
      planSku: planSku
      minimumInstances: minimumInstances
      maximumInstances: maximumInstances
      sharedStorageName: storage.name
      vaultName: vault.name
      registryName: registry.name
      settings: commonSettings
      tags: tags
      authSettings: empty(authClientId) ? {} : authSettings
    }
  }
]

resource app 'Microsoft.Web/sites@2023-12-01' = {
  name: appName
  location: location
  tags: tags
  kind: 'functionapp,linux,container'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    reserved: true
    httpsOnly: true
    clientAffinityEnabled: false
    siteConfig: union(siteConfig, {
      appSettings: map(items(commonSettings), entry => {
        name: entry.key
        value: entry.value
      })
    })
  }
}

resource staging 'Microsoft.Web/sites/slots@2023-12-01' = {
  parent: app
  name: 'staging'
  location: location
  tags: tags
  kind: 'functionapp,linux,container'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    reserved: true
    httpsOnly: true
    clientAffinityEnabled: false
    siteConfig: union(siteConfig, {
      appSettings: map(items(union(commonSettings, stagingOnlySettings)), entry => {
        name: entry.key
        value: entry.value
      })
    })
  }
}

// App Service Authentication (docs/security.md, Roles and access). The platform validates Entra ID
// tokens issued for the app registration, passes the principal and its app roles to the app in
// x-ms-client-principal (removing any a client sent) and sets WEBSITE_AUTH_ENABLED=True, which makes
// Pulsecheck trust that header and register every route anonymous to the Functions host: the
// platform authenticates, the app authorises by role. Requests without a valid token get 401 here,
// except on the paths the app guards itself: /api/health (status and version for anyone, the detail
// for readers), /api/openapi.json (public) and /api/metrics (PULSECHECK_METRICS_TOKEN or a reader).
var selfGuardedPaths = [
  '/api/health'
  '/api/openapi.json'
  '/api/metrics'
]
// With statusPage 'public' the app serves these to anyone (public jobs only, others 404); a trailing
// /* excludes every path below. 'private' and 'off' leave them to the platform: a token is needed.
var statusPagePaths = [
  '/api/status'
  '/api/status/summary'
  '/api/status/assets/*'
  '/api/badges/*'
]
var authSettings = {
  platform: {
    enabled: true
  }
  globalValidation: {
    requireAuthentication: true
    unauthenticatedClientAction: 'Return401'
    excludedPaths: statusPage == 'public' ? concat(selfGuardedPaths, statusPagePaths) : selfGuardedPaths
  }
  identityProviders: {
    azureActiveDirectory: {
      enabled: true
      registration: {
        clientId: authClientId
        openIdIssuer: '${environment().authentication.loginEndpoint}${authTenantId}/v2.0'
      }
      validation: {
        allowedAudiences: [
          'api://${authClientId}'
          authClientId
        ]
      }
    }
  }
  login: {
    tokenStore: {
      enabled: false
    }
  }
  httpSettings: {
    requireHttps: true
  }
}

resource appAuth 'Microsoft.Web/sites/config@2023-12-01' = if (!empty(authClientId)) {
  parent: app
  name: 'authsettingsV2'
  properties: authSettings
}

resource stagingAuth 'Microsoft.Web/sites/slots/config@2023-12-01' = if (!empty(authClientId)) {
  parent: staging
  name: 'authsettingsV2'
  properties: authSettings
}

resource stickySettings 'Microsoft.Web/sites/config@2023-12-01' = {
  parent: app
  name: 'slotConfigNames'
  properties: {
    appSettingNames: objectKeys(stagingOnlySettings)
  }
}

// Each slot has its own identity; both get the same data-plane roles. (Loops run over the slot
// names, known when the deployment starts; the principal IDs exist only once the slots do.)
var slotNames = [
  'production'
  'staging'
]
// Blobs: the timer leases and keys; queues: queue mode's pulsecheck-checks and its poison queue
// (the Functions host polls them, the dispatcher and the dead-letter routes write them); tables: Pulsecheck's store.
var storageRoles = [
  roles.storageBlobDataOwner
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]
var storageAssignments = flatten(map(slotNames, slot => map(storageRoles, role => {
  slot: slot
  role: role
})))

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for slot in slotNames: {
    name: guid(vault.id, roles.keyVaultSecretsUser, slot)
    scope: vault
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
      principalId: slot == 'production' ? app.identity.principalId : staging.identity.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource imagePull 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for slot in slotNames: {
    name: guid(registry.id, roles.acrPull, slot)
    scope: registry
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPull)
      principalId: slot == 'production' ? app.identity.principalId : staging.identity.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource storageAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in storageAssignments: {
    name: guid(storage.id, assignment.role, assignment.slot)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', assignment.role)
      principalId: assignment.slot == 'production' ? app.identity.principalId : staging.identity.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource deployerPush 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(registry.id, roles.acrPush, deployerPrincipalId)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPush)
    principalId: deployerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource deployerApp 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(app.id, roles.websiteContributor, deployerPrincipalId)
  scope: app
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.websiteContributor)
    principalId: deployerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource secretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(secretsOfficerPrincipalId)) {
  name: guid(vault.id, roles.keyVaultSecretsOfficer, secretsOfficerPrincipalId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: secretsOfficerPrincipalId
    principalType: 'User'
  }
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: 'ag-${appName}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: take('pulse${environmentName}', 12)
    enabled: true
    emailReceivers: [
      {
        name: 'operator'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

// One alert per job: fires when a job's availability over 5 minutes drops under the threshold.
// Pulsecheck sends one availability result per run (name = job) to Application Insights.
resource availabilityAlert 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-${appName}-availability'
  location: 'global'
  tags: tags
  properties: {
    description: 'A Pulsecheck job is failing: its availability over 5 minutes is under ${availabilityThreshold}%.'
    severity: 1
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'availability'
          metricNamespace: 'microsoft.insights/components'
          metricName: 'availabilityResults/availabilityPercentage'
          dimensions: [
            {
              name: 'availabilityResult/name'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'LessThan'
          threshold: availabilityThreshold
          timeAggregation: 'Average'
        }
      ]
    }
    actions: empty(alertEmail) ? [] : [
      {
        actionGroupId: actionGroup.id
      }
    ]
  }
}

output functionAppName string = app.name
output productionUrl string = 'https://${app.properties.defaultHostName}'
output stagingUrl string = 'https://${staging.properties.defaultHostName}'
output registryName string = registry.name
output registryLoginServer string = registry.properties.loginServer
output keyVaultName string = vault.name
output keyVaultUrl string = vault.properties.vaultUri
output applicationInsightsName string = appInsights.name
output storageAccountName string = storage.name
output regionalAppNames array = [for i in range(0, length(regions)): regionApps[i].outputs.appName]
