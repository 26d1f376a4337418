/** Start-up: nothing starts without a connection string (terminal lines as before); the Entra auth string is read as infra writes it. */
import { ManagedIdentityCredential } from "@azure/identity";
import { expect, test, vi } from "vitest";
import { createProcessLogger } from "../../shared/logging.js";
import { credentialFromAuthenticationString, startTelemetry, telemetryStarted } from "../../shared/telemetry/setup.js";

test("without APPLICATIONINSIGHTS_CONNECTION_STRING nothing starts and the logger writes readable JSON lines", async () => {
  expect(await startTelemetry({ APPLICATIONINSIGHTS_CONNECTION_STRING: "" })).toBe(false);
  expect(telemetryStarted()).toBe(false);
  const info = vi.spyOn(console, "info").mockImplementation(() => {});
  createProcessLogger().info("sync run finished", { runId: "r1", configId: "likepersons" });
  expect(info).toHaveBeenCalledWith(JSON.stringify({ level: "info", message: "sync run finished", runId: "r1", configId: "likepersons" }));
  info.mockRestore();
});

test("ClientId=…;Authorization=AAD is a managed-identity credential; anything but AAD is refused, naming the setting", () => {
  expect(credentialFromAuthenticationString("ClientId=11111111-2222-3333-4444-555555555555;Authorization=AAD")).toBeInstanceOf(ManagedIdentityCredential);
  expect(credentialFromAuthenticationString(undefined)).toBeUndefined();
  expect(() => credentialFromAuthenticationString("ClientId=x;Authorization=Key")).toThrow(/APPLICATIONINSIGHTS_AUTHENTICATION_STRING/);
});
