// Operators' alerts: scheduled query rules over the app's telemetry in Application Insights
// (the run span is `dependencies` name "sync.run", the gauges are `customMetrics`; names in
// shared/telemetry/names.ts), sending to one action group whose e-mail receiver is the
// ALERT_EMAIL azd setting. What each alert means and what to do: README, operators' guide.
param appInsightsId string
param location string
param tags object
@description('Where alerts are e-mailed (azd env set ALERT_EMAIL ...); empty: the action group has no receiver yet')
param alertEmail string
@description('Retry-ledger entries of one config above which the backlog alert fires')
param ledgerThreshold int
@description('Open review items (conflicts) of one config above which the backlog alert fires')
param reviewThreshold int

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-sync-operators'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'syncops'
    enabled: true
    emailReceivers: empty(alertEmail) ? [] : [
      { name: 'operators', emailAddress: alertEmail, useCommonAlertSchema: true }
    ]
  }
}

var errorCodeQuery = loadTextContent('queries/error-code.kql')

var rules = [
  {
    name: 'sync-runs-failing'
    displayName: 'Sync: a config\'s last 3 runs failed'
    severity: 1
    frequency: 'PT15M'
    window: 'PT12H'
    query: loadTextContent('queries/runs-failing.kql')
  }
  {
    name: 'sync-no-successful-run'
    displayName: 'Sync: no successful run of a config in 2 hours'
    severity: 1
    frequency: 'PT15M'
    window: 'P1D'
    query: loadTextContent('queries/runs-missing.kql')
  }
  {
    name: 'sync-backlog'
    displayName: 'Sync: retry ledger or review queue above threshold or growing for a day'
    severity: 2
    frequency: 'PT1H'
    window: 'P1D'
    query: replace(replace(loadTextContent('queries/backlog.kql'), '{ledgerThreshold}', string(ledgerThreshold)), '{reviewThreshold}', string(reviewThreshold))
  }
  {
    name: 'sync-full-reread'
    displayName: 'Sync: a run read a whole side again (expired change token or cursor)'
    severity: 3
    frequency: 'PT15M'
    window: 'PT15M'
    query: loadTextContent('queries/full-reread.kql')
  }
  {
    name: 'sync-mass-delete-blocked'
    displayName: 'Sync: mass-delete guard stopped a run (MASS_DELETE_BLOCKED)'
    severity: 1
    frequency: 'PT15M'
    window: 'PT15M'
    query: replace(errorCodeQuery, '{code}', 'MASS_DELETE_BLOCKED')
  }
  {
    name: 'sync-schema-mismatch'
    displayName: 'Sync: a side\'s schema does not match the config (SCHEMA_MISMATCH)'
    severity: 1
    frequency: 'PT15M'
    window: 'PT15M'
    query: replace(errorCodeQuery, '{code}', 'SCHEMA_MISMATCH')
  }
]

resource alerts 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = [
  for rule in rules: {
    name: rule.name
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      severity: rule.severity
      enabled: true
      evaluationFrequency: rule.frequency
      windowSize: rule.window
      scopes: [appInsightsId]
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            dimensions: [{ name: 'configId', operator: 'Include', values: ['*'] }]
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
          }
        ]
      }
      // Fires once per config until the query stops returning it.
      autoMitigate: true
      actions: { actionGroups: [actionGroup.id] }
    }
  }
]

output actionGroupId string = actionGroup.id
