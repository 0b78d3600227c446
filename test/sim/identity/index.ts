export {
  startLocalIssuer,
  type IdTokenClaims,
  type LocalIssuer,
  type LocalIssuerOptions,
} from './local-issuer.js';
