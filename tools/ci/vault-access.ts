// Azure RBAC role assignments take effect after a delay (minutes at worst), and azurerm does not retry a
// 403: a first rbac-mode deploy that writes a secret right after assigning the deployer's role fails with
// ForbiddenByRbac. The Key Vault stack runs this wait between the two (a local-exec on
// terraform_data.deployer-role-ready), polling the data plane as the deployer, bounded.
import type { Clock } from "../ops/rotation-check";
import { answerText, type VaultGet } from "./vault-client";

export class VaultAccessError extends Error {}

/** A secret name no vault has: 404 says the deployer may read secrets, 403 that the role is not in effect yet. */
export const PROBE_SECRET = "akskv-deployer-access-probe";

export interface VaultAccessWait {
  readonly vault: string;
  readonly role: string;
  readonly timeoutSeconds: number;
  readonly pollSeconds: number;
}

/** Returns once the deployer's role is in effect; throws with what did not happen by the deadline, or at once for a firewall. */
export async function waitForVaultAccess(wait: VaultAccessWait, get: VaultGet, clock: Clock, log: (line: string) => void): Promise<void> {
  const deadline = clock.now() + wait.timeoutSeconds * 1000;
  for (let attempt = 1; ; attempt++) {
    const { status, code } = await get(`/secrets/${PROBE_SECRET}/`);
    if (status === 404 || status === 200) {
      log(`the deployer's ${wait.role} on ${wait.vault} is in effect (after ${attempt} probe(s)); writing secrets`);
      return;
    }
    if (code === "ForbiddenByFirewall") throw new VaultAccessError(`${wait.vault} refuses this machine's address (403 ForbiddenByFirewall): add it to keyVault.allowedCidrs; waiting would not help`);
    if (status !== 403) throw new VaultAccessError(`${wait.vault} answered ${answerText(status, code)} to the deployer's probe`);
    if (clock.now() >= deadline) {
      throw new VaultAccessError(`the deployer's ${wait.role} on ${wait.vault} was not in effect after ${wait.timeoutSeconds} s (still ${answerText(status, code)}): check the role assignment (az role assignment list --scope <vault id>) and deploy again`);
    }
    log(`waiting for the deployer's ${wait.role} on ${wait.vault} to take effect (Key Vault still answers ${answerText(status, code)}; RBAC propagates within minutes)...`);
    await clock.sleep(wait.pollSeconds * 1000);
  }
}
