// One more region of Pulsecheck (docs/scaling.md, Several regions), deployed by main.bicep once per
// entry of its `regions` parameter. The region runs its own Function app on its own plan, with its
// own host storage (the dispatcher timer's lease, function keys, and in queue mode its own queue), so
// it ticks and runs its checks on its own; it shares with the other regions the tables (jobs, job
// state per location, run history), Key Vault, the registry and Application Insights of main.bicep.

targetScope = 'resourceGroup'

@description('Name of the main function app; this region\'s app is "<appName>-<region>" (shortened).')
param appName string

@description('Azure region of this app, its plan and its host storage; also its PULSECHECK_RUN_LOCATION.')
param region string

@description('Container image the app runs.')
param containerImage string

@description('Elastic Premium size.')
param planSku string

@description('Instances kept warm.')
param minimumInstances int

@description('Largest number of instances the plan scales out to.')
param maximumInstances int

@description('The shared storage account (Pulsecheck\'s tables), in main.bicep\'s resource group.')
param sharedStorageName string

@description('The shared Key Vault.')
param vaultName string

@description('The shared container registry.')
param registryName string

@description('App settings every region shares (main.bicep\'s commonSettings): storage settings are replaced here.')
param settings object

param tags object

@description('main.bicep\'s App Service Authentication settings (authsettingsV2), the same as its own app\'s, so a region\'s API is guarded alike. Empty: authentication off (function keys guard the API).')
param authSettings object = {}

// Built-in role definition IDs, as in main.bicep.
var roles = {
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

var regionalName = take('${appName}-${region}', 40)
var suffix = uniqueString(resourceGroup().id, appName, region)

resource sharedStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: sharedStorageName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

// The Functions host's own storage in this region: blobs (timer lease, keys) and queues. Pulsecheck's
// tables stay in the shared account (AzureWebJobsStorage__tableServiceUri below).
resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'st${take(toLower(replace(region, '-', '')), 9)}${suffix}'
  location: region
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

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: 'plan-${regionalName}'
  location: region
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

var regionalSettings = union(settings, {
  AzureWebJobsStorage__accountName: hostStorage.name
  AzureWebJobsStorage__tableServiceUri: sharedStorage.properties.primaryEndpoints.table
  PULSECHECK_RUN_LOCATION: region
})

resource app 'Microsoft.Web/sites@2023-12-01' = {
  name: regionalName
  location: region
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
    siteConfig: {
      linuxFxVersion: 'DOCKER|${containerImage}'
      acrUseManagedIdentityCreds: true
      minimumElasticInstanceCount: minimumInstances
      healthCheckPath: '/api/health'
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      http20Enabled: true
      appSettings: map(items(regionalSettings), entry => {
        name: entry.key
        value: entry.value
      })
    }
  }
}

var hostStorageRoles = [
  roles.storageBlobDataOwner
  roles.storageQueueDataContributor
]

resource hostStorageAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in hostStorageRoles: {
    name: guid(hostStorage.id, role, regionalName)
    scope: hostStorage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: app.identity.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource tablesAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(sharedStorage.id, roles.storageTableDataContributor, regionalName)
  scope: sharedStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, roles.keyVaultSecretsUser, regionalName)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource imagePull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, roles.acrPull, regionalName)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPull)
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// The same App Service Authentication as the main app (main.bicep, authSettings): without it this
// region's API would take any function key as admin while the main app asks for Entra tokens.
resource appAuth 'Microsoft.Web/sites/config@2023-12-01' = if (!empty(authSettings)) {
  parent: app
  name: 'authsettingsV2'
  properties: authSettings
}

output appName string = app.name
output url string = 'https://${app.properties.defaultHostName}'
