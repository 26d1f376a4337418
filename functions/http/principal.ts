/**
 * Who is calling, from App Service authentication (Easy Auth). The front end strips any
 * client-sent `x-ms-client-principal` and sets its own only when authentication is on,
 * so the header is read then and ignored entirely otherwise.
 */
import type { HttpRequest } from "@azure/functions";
import type { AuthSettings } from "../../shared/config/settings.js";
import { HttpError } from "./errors.js";

export interface Caller {
  /** The caller's object id (not a name or e-mail): kept with conflict resolutions. */
  readonly id?: string;
}

interface ClientPrincipal {
  readonly role_typ?: string;
  readonly claims?: readonly { readonly typ?: unknown; readonly val?: unknown }[];
}

const OBJECT_ID_CLAIMS = new Set(["http://schemas.microsoft.com/identity/claims/objectidentifier", "oid"]);

function decode(header: string): ClientPrincipal | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(header, "base64").toString("utf8"));
    return value && typeof value === "object" && Array.isArray((value as ClientPrincipal).claims) ? (value as ClientPrincipal) : undefined;
  } catch {
    return undefined;
  }
}

/** Throws 401 without a usable identity and 403 without the admin role; returns the caller otherwise. */
export function authorize(request: HttpRequest, auth: AuthSettings): Caller {
  if (!auth.enabled) return {};
  const header = request.headers.get("x-ms-client-principal");
  const principal = header ? decode(header) : undefined;
  if (!principal) throw new HttpError(401, "UNAUTHENTICATED", "sign-in required", undefined, { "WWW-Authenticate": "Bearer" });
  const roleTypes = new Set(["roles", principal.role_typ ?? "roles"]);
  const claims = principal.claims ?? [];
  const hasRole = claims.some((c) => typeof c.typ === "string" && roleTypes.has(c.typ) && c.val === auth.adminRole);
  if (!hasRole) throw new HttpError(403, "FORBIDDEN", `the ${auth.adminRole} role is required`);
  const oid = claims.find((c) => typeof c.typ === "string" && OBJECT_ID_CLAIMS.has(c.typ))?.val;
  const id = typeof oid === "string" ? oid : (request.headers.get("x-ms-client-principal-id") ?? undefined);
  return id ? { id } : {};
}
