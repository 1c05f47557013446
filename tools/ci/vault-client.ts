// The vault's data plane as the signed-in deployer, for the deploy-time checks (check-objects and the
// wait for the deployer's role), through @azure/identity with the sign-in aks.kubeloginMode names.
import * as https from "https";
import type { KubeloginMode } from "../../config/types";

/** One GET on the vault's data plane: the status, and Azure's inner error code when it refused. */
export type VaultGet = (path: string) => Promise<{ readonly status: number; readonly code?: string }>;

/** An answer as messages quote it: "403 ForbiddenByRbac", or the status alone. */
export function answerText(status: number, code: string | undefined): string {
  return code ? `${status} ${code}` : String(status);
}

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

/**
 * The credential of the sign-in the environment's aks.kubeloginMode names, as Terraform and kubelogin use:
 * the Azure CLI's, a federated token file's, or (msi, a self-hosted runner on an Azure VM) the machine's
 * managed identity. Never DefaultAzureCredential's whole chain, which would also probe the instance
 * metadata endpoint on a machine that has none.
 */
async function deployerCredential(mode: KubeloginMode) {
  const identity = await import("@azure/identity");
  if (mode === "msi") return new identity.ManagedIdentityCredential(process.env.AZURE_CLIENT_ID ? { clientId: process.env.AZURE_CLIENT_ID } : {});
  if (mode === "workloadidentity" && process.env.AZURE_FEDERATED_TOKEN_FILE) return new identity.WorkloadIdentityCredential();
  return new identity.AzureCliCredential();
}

/** A client for the vault (default https://<name>.vault.azure.net) with the deployer's token; fails in one line when not signed in. */
export async function deployerVaultClient(vaultName: string, vaultUrl: string | undefined, mode: KubeloginMode): Promise<VaultGet> {
  const base = (vaultUrl ?? `https://${vaultName}.vault.azure.net`).replace(/\/$/, "");
  const credential = await deployerCredential(mode);
  const token = await credential.getToken("https://vault.azure.net/.default", { abortSignal: AbortSignal.timeout(30_000) }).catch((error: Error) => {
    throw new VaultRequestError(`not signed in to Azure (aks.kubeloginMode ${mode}): ${error.message.split("\n")[0]}; run az login (or azure/login in a workflow)`);
  });
  if (!token) throw new VaultRequestError(`not signed in to Azure (aks.kubeloginMode ${mode}): no token for Key Vault; run az login`);
  return vaultClient(base, token.token);
}
