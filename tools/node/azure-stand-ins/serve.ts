// The lab's stand-ins behind real sockets: Entra ID and every Key Vault over
// HTTPS on one loopback address by host name (the provider's pod resolves
// those names there through hostAliases), and the node's managed-identity
// endpoint over HTTP on 127.0.0.1. What they answer is read at each request,
// so a test may give them their directory and vaults after they listen.
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import type * as net from "net";
import { issueCertificate } from "../node";
import { ARM_HOST, type ArmStandIn } from "./arm";
import { AUTHORITY_HOST, entraEndpoint, managedIdentityEndpoint, type Directory } from "./entra";
import { closable, closeServer, listener } from "./http";
import { VAULT_DNS_SUFFIX, type KeyVaultStandIn } from "./keyvault";

export interface StandInServers {
  /** IDENTITY_ENDPOINT for the node. */
  readonly identityEndpoint: string;
  close(): Promise<void>;
}

export async function serveStandIns(options: {
  /** The lab CA's folder (makeCa): the HTTPS certificate is issued there. */
  readonly pki: string;
  readonly ip: string;
  readonly directory: () => Directory | undefined;
  readonly vaults: () => readonly KeyVaultStandIn[];
  /** Azure Resource Manager, where the stacks themselves are applied. */
  readonly arm?: () => ArmStandIn | undefined;
}): Promise<StandInServers> {
  const tls = issueCertificate(options.pki, "stand-ins", "/CN=azure-stand-ins", [`DNS:${AUTHORITY_HOST}`, `DNS:*.${VAULT_DNS_SUFFIX}`, `DNS:${ARM_HOST}`]);
  const names = () => [AUTHORITY_HOST, ARM_HOST, ...options.vaults().map((v) => v.host)].join(", ");
  const standIns = closable(https.createServer(
    { cert: fs.readFileSync(tls.cert), key: fs.readFileSync(tls.key) },
    listener((request) => {
      const directory = options.directory();
      if (!directory) return { status: 503, body: "no directory yet" };
      if (request.url.hostname === AUTHORITY_HOST) return entraEndpoint(directory, request);
      const arm = options.arm?.();
      if (arm && request.url.hostname === ARM_HOST) return arm.handle(request);
      const vault = options.vaults().find((v) => v.host === request.url.hostname);
      return vault ? vault.handle(request) : { status: 404, body: `no stand-in for ${request.url.hostname} (${names()})` };
    }),
  ));
  const msi = closable(http.createServer(
    listener((request) => {
      const directory = options.directory();
      return directory ? managedIdentityEndpoint(directory, request) : { status: 503, body: "no directory yet" };
    }),
  ));
  const listen = (server: net.Server, port: number, host: string) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", (error) => reject(new Error(`the stand-ins could not listen on ${host}:${port}: ${error.message} (is another lab running?)`)));
      server.listen(port, host, () => resolve());
    });
  await listen(standIns, 443, options.ip);
  try {
    await listen(msi, 0, "127.0.0.1");
  } catch (error) {
    await closeServer(standIns, "the stand-ins' HTTPS server");
    throw error;
  }
  return {
    identityEndpoint: `http://127.0.0.1:${(msi.address() as net.AddressInfo).port}/msi/token`,
    close: async () => {
      await Promise.all([closeServer(standIns, "the stand-ins' HTTPS server"), closeServer(msi, "the managed-identity endpoint")]);
    },
  };
}
