/**
 * The review console's built files (`npm run build` puts them in dist/console). Only
 * names Vite produces are served: one flat folder of assets plus index.html, no paths.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { HttpResponseInit } from "@azure/functions";
import { HttpError } from "./errors.js";

const FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".map": "application/json; charset=utf-8",
};

/**
 * Everything the page needs comes from this app: no inline script or style, no other
 * origin, no framing. The API calls go to the same origin.
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  "Content-Security-Policy": CONSOLE_CSP,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
};

export async function serveFile(dir: string, name: string, cache: "immutable" | "no-cache"): Promise<HttpResponseInit> {
  const dot = name.lastIndexOf(".");
  const type = dot > 0 ? TYPES[name.slice(dot)] : undefined;
  if (!FILE_NAME.test(name) || name.includes("..") || !type) throw new HttpError(404, "NOT_FOUND", "no such console file", "file");
  let body: Buffer;
  try {
    body = await readFile(join(dir, name));
  } catch {
    throw new HttpError(404, "NOT_FOUND", name === "index.html" ? "the console is not built: run npm run build" : "no such console file", "file");
  }
  return {
    status: 200,
    body,
    headers: {
      "Content-Type": type,
      // Vite puts a content hash in every asset name, so an asset never changes; the page always revalidates.
      "Cache-Control": cache === "immutable" ? "public, max-age=31536000, immutable" : "no-cache",
      ...SECURITY_HEADERS,
    },
  };
}
