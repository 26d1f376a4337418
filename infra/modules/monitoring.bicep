// Application Insights on a Log Analytics workspace; local (key) auth off, so only
// identities with Monitoring Metrics Publisher can send telemetry.
param logAnalyticsName string
param appInsightsName string
param location string
param tags object

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 90
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

output appInsightsName string = appInsights.name
// The connection string carries an instrumentation key (an id, not a credential); with
// DisableLocalAuth it only works together with an Entra token.
output connectionString string = appInsights.properties.ConnectionString
output appInsightsId string = appInsights.id
