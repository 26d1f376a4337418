export { MeanderSide, type MeanderSideOptions } from "./side.js";
export { CONTRACT_LIMITS } from "./wire.js";
