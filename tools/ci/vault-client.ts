// The vault's data plane as the signed-in deployer, for the deploy-time checks (check-objects and the
// wait for the deployer's role). @azure/identity's DefaultAzureCredential takes the same sign-ins
// Terraform does here: the Azure CLI's, the environment's, a workload identity's.
import * as https from "https";
import type { VaultGet } from "./existing-objects";

export class VaultRequestError extends Error {}

/** A GET with the deployer's token, bounded by the socket's idle timeout. */
function vaultClient(base: string, token: string): VaultGet {
  return (path) =>
    new Promise((resolve, reject) => {
      const request = https.get(`${base}${path}?api-version=7.4`, { headers: { authorization: `Bearer ${token}` }, timeout: 10_000 }, (response) => {
        let body = "";
        response.on("data", (chunk) => (body += chunk));
        response.on("end", () => {
          let code: string | undefined;
          try {
            const error = JSON.parse(body).error;
            code = error?.innererror?.code ?? error?.code;
          } catch {
            // Not JSON: the status says enough.
          }
          resolve({ status: response.statusCode ?? 0, code });
        });
      });
      request.on("timeout", () => request.destroy(new VaultRequestError(`${base} did not answer within 10 s: is this machine inside the vault's network?`)));
      request.on("error", (error) => reject(error instanceof VaultRequestError ? error : new VaultRequestError(`cannot reach ${base}: ${error.message}`)));
    });
}

/** A client for the vault (default https://<name>.vault.azure.net) with the deployer's token; fails in one line when not signed in. */
export async function deployerVaultClient(vaultName: string, vaultUrl: string | undefined): Promise<VaultGet> {
  const base = (vaultUrl ?? `https://${vaultName}.vault.azure.net`).replace(/\/$/, "");
  const { DefaultAzureCredential } = await import("@azure/identity");
  const token = await new DefaultAzureCredential().getToken("https://vault.azure.net/.default", { abortSignal: AbortSignal.timeout(30_000) }).catch((error: Error) => {
    throw new VaultRequestError(`not signed in to Azure: ${error.message.split("\n")[0]}; run az login (or azure/login in a workflow)`);
  });
  return vaultClient(base, token.token);
}
