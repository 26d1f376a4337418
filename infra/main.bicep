// The sync service in Azure: a Flex Consumption Function App (Node 22) that reaches
// storage, Key Vault and Application Insights with one user-assigned managed identity.
// No keys and no connection strings with keys anywhere (docs/architecture.md, "Settings and secrets").
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names and tags every resource')
param environmentName string

@minLength(1)
@description('Azure region for every resource')
param location string

@description('Object id of the deploying user (azd sets AZURE_PRINCIPAL_ID): may write the Dataverse client secret into Key Vault')
param principalId string = ''

@description('The portal\'s Dataverse environment, e.g. https://hlf.crm4.dynamics.com')
param dataverseUrl string

@description('Tenant of the app registration used for Dataverse client credentials')
param dataverseTenantId string

@description('Client id of the app registration used for Dataverse client credentials')
param dataverseClientId string

param dataverseAuthorityHost string = 'https://login.microsoftonline.com'

@description('Name of the Key Vault secret that holds the Dataverse client secret (set it after the first deployment)')
param dataverseClientSecretName string = 'dataverse-client-secret'

@description('Name of the Key Vault secret that holds the key of the links\' baseline fingerprints (set it once after the first deployment, never change it)')
param syncBaselineKeyName string = 'sync-baseline-key'

@description('Base URL of Meander\'s sync contract')
param meanderApiUrl string

@description('Token scope of Meander\'s sync contract, e.g. api://meander-sync/.default')
param meanderApiScope string

@description('Optional: Meander record URL template for review items, with {entity} and {id}')
param meanderRecordUrl string = ''

@description('NCRONTAB with seconds')
param syncSchedule string = '0 */15 * * * *'

@description('App role the admin UI\'s callers must carry when App Service authentication is on')
param syncAdminRole string = 'SyncAdmin'

@description('Run limits; defaults as in shared/config/settings.ts')
param syncTimeBudgetSeconds int = 480
param syncHttpTimeBudgetSeconds int = 200
param syncPageSize int = 5000
param syncPortalBatchSize int = 100
param syncMeanderBatchSize int = 500
param syncPortalConcurrency int = 8
param syncMeanderConcurrency int = 8
param syncLeaseSeconds int = 60
param syncLedgerMaxAttempts int = 10
param syncRunRetentionDays int = 90
param syncTablePrefix string = 'sync'

@description('Folder of the sync configs; empty: configs/ next to package.json in the deployed package')
param syncConfigDir string = ''

@description('Where the operators\' alerts are e-mailed: azd env set ALERT_EMAIL ops@example.org (empty: no receiver yet)')
param alertEmail string = ''

@description('Retry-ledger entries of one config above which the backlog alert fires')
param alertLedgerThreshold int = 50

@description('Open review items of one config above which the backlog alert fires')
param alertReviewThreshold int = 25

var tags = { 'azd-env-name': environmentName }
var token = toLower(uniqueString(subscription().id, environmentName, location))

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: { name: 'id-sync-${token}', location: location, tags: tags }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: { logAnalyticsName: 'log-${token}', appInsightsName: 'appi-${token}', location: location, tags: tags }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    appInsightsId: monitoring.outputs.appInsightsId
    location: location
    tags: tags
    alertEmail: alertEmail
    ledgerThreshold: alertLedgerThreshold
    reviewThreshold: alertReviewThreshold
  }
}

module workbook 'modules/workbook.bicep' = {
  name: 'workbook'
  scope: rg
  params: { appInsightsId: monitoring.outputs.appInsightsId, location: location, tags: tags }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: { name: 'st${token}', location: location, tags: tags, deploymentContainerName: 'app-package' }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: { name: 'kv-${take(token, 19)}', location: location, tags: tags }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    identityPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  dependsOn: [roles]
  params: {
    name: 'func-sync-${token}'
    planName: 'plan-sync-${token}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appInsightsConnectionString: monitoring.outputs.connectionString
    appSettings: {
      DATAVERSE_URL: dataverseUrl
      DATAVERSE_TENANT_ID: dataverseTenantId
      DATAVERSE_CLIENT_ID: dataverseClientId
      DATAVERSE_AUTHORITY_HOST: dataverseAuthorityHost
      KEY_VAULT_URL: keyVault.outputs.uri
      DATAVERSE_CLIENT_SECRET_NAME: dataverseClientSecretName
      SYNC_BASELINE_KEY_NAME: syncBaselineKeyName
      MEANDER_API_URL: meanderApiUrl
      MEANDER_API_SCOPE: meanderApiScope
      MEANDER_RECORD_URL: meanderRecordUrl
      SYNC_TABLES_URL: storage.outputs.tableEndpoint
      AZURE_CLIENT_ID: identity.outputs.clientId
      SYNC_SCHEDULE: syncSchedule
      SYNC_TIME_BUDGET_SECONDS: string(syncTimeBudgetSeconds)
      SYNC_HTTP_TIME_BUDGET_SECONDS: string(syncHttpTimeBudgetSeconds)
      SYNC_PAGE_SIZE: string(syncPageSize)
      SYNC_PORTAL_BATCH_SIZE: string(syncPortalBatchSize)
      SYNC_MEANDER_BATCH_SIZE: string(syncMeanderBatchSize)
      SYNC_PORTAL_CONCURRENCY: string(syncPortalConcurrency)
      SYNC_MEANDER_CONCURRENCY: string(syncMeanderConcurrency)
      SYNC_LEASE_SECONDS: string(syncLeaseSeconds)
      SYNC_LEDGER_MAX_ATTEMPTS: string(syncLedgerMaxAttempts)
      SYNC_RUN_RETENTION_DAYS: string(syncRunRetentionDays)
      SYNC_CONFIG_DIR: syncConfigDir
      SYNC_TABLE_PREFIX: syncTablePrefix
      SYNC_ADMIN_ROLE: syncAdminRole
    }
  }
}

output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_URI string = functionApp.outputs.uri
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_URL string = keyVault.outputs.uri
output SYNC_TABLES_URL string = storage.outputs.tableEndpoint
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.appInsightsName
