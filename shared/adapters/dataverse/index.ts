export { DataverseClient, type DataverseClientOptions } from "./client.js";
export { dataverseCode, EXPIRED_DELTA_TOKEN, mapDataverseError } from "./errors.js";
export type { EntitySettings } from "./read.js";
export { DataverseSide, type DataverseSideOptions, DEFAULT_BATCH_SIZE, DEFAULT_PAGE_SIZE } from "./side.js";
