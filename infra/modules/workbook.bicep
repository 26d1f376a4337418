// The operators' workbook (run outcomes and durations per config and day, throttling, the
// review queue over time, failed runs), shared in the resource group and opened from the
// Application Insights resource. Its queries read the names in shared/telemetry/names.ts.
param appInsightsId string
param location string
param tags object

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, 'sync-operators-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Meander-HLF sync: runs'
    category: 'workbook'
    sourceId: appInsightsId
    serializedData: loadTextContent('workbook.json')
  }
}

output id string = workbook.id
