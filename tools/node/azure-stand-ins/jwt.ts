// Compact JWTs signed with RS256, as Entra ID issues them and as the API
// server signs service-account tokens: node:crypto only, no library for three
// base64url parts and one signature.
import * as crypto from "crypto";

export type Claims = Record<string, unknown>;

const b64 = (value: string | Buffer) => Buffer.from(value).toString("base64url");

export function signJwt(claims: Claims, key: crypto.KeyObject, kid = "stand-in"): string {
  const head = `${b64(JSON.stringify({ alg: "RS256", typ: "JWT", kid }))}.${b64(JSON.stringify(claims))}`;
  return `${head}.${crypto.sign("sha256", Buffer.from(head), key).toString("base64url")}`;
}

/** The claims of a JWT, without checking anything. */
export function jwtClaims(token: string): Claims | undefined {
  try {
    return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

/** The claims when the RS256 signature verifies with the key, else undefined. */
export function verifyJwt(token: string, key: crypto.KeyObject): Claims | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  let header: { alg?: string };
  try {
    header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (header.alg !== "RS256") return undefined;
  const ok = crypto.verify("sha256", Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2], "base64url"));
  return ok ? jwtClaims(token) : undefined;
}

/** The OIDC token a GitHub job gets for Entra ID's token exchange (what azure/login hands on as ARM_OIDC_TOKEN). */
export function githubJobToken(issuer: string, subject: string, audience: string, key: crypto.KeyObject): string {
  const now = Math.floor(Date.now() / 1000);
  return signJwt({ iss: issuer, sub: subject, aud: audience, iat: now, nbf: now, exp: now + 3600 }, key);
}
