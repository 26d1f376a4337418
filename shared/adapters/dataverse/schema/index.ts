export { checkConfigs, errorsOf } from "./check.js";
export { checkConfig, type Finding, formatFinding } from "./checkConfig.js";
export { SchemaCheckedSide, SchemaMismatchError } from "./checkedSide.js";
export { type LocalDateColumns, LocalDateSide, localDateColumns, zoneDate, zoneMidnight } from "./localDates.js";
export { readTableMetadata, type TableMetadata } from "./metadata.js";
