export { type AuthToken, authenticate, DEFAULT_AUTHORITY_HOST, type PortalCredentials } from "./authenticate.js";
export { createIdentityTokenProvider, type IdentityTokenProviderOptions } from "./identityTokenProvider.js";
export { createPortalTokenProvider, type PortalTokenProvider, type PortalTokenProviderOptions } from "./tokenProvider.js";
