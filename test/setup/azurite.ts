/**
 * Starts one in-memory Azurite Table service for the whole test run and hands
 * its connection string to the test workers through the environment.
 */
import { startAzurite } from "../../sim/azurite.js";

export { startAzurite };

export default async function setup(): Promise<() => Promise<void>> {
  if (process.env.AZURITE_CONNECTION_STRING) return async () => {};
  const azurite = await startAzurite();
  process.env.AZURITE_CONNECTION_STRING = azurite.connectionString;
  return azurite.stop;
}
