// `npm run rotation-check -- --env <name> --value-file <path> [--secret <objectName>] [--timeout <seconds>] [--poll <seconds>]`
//
// On a deployed environment: sets a new version of a Key Vault secret from a
// file you name, then polls the file it is mounted as in one running pod
// until the content changes, and prints the delay next to the configured
// rotation interval. Signs in to Azure like the Azure CLI does (`az login`)
// and to the cluster through your current kubectl context.
import * as fs from "fs";
import * as path from "path";
import { loadEnvironments } from "../../config/load";
import { readersOf } from "../../lib/apps";
import { reportFailure, wallClock } from "../command";
import { parseFlags, UsageError, wantsHelp } from "../flags";
import { durationSeconds } from "../../config/domain";
import { SECRETS_MOUNT_PATH } from "../../config/types";
import { currentKubeConfig, firstRunningPod, NoKubeContextError, readPodFile } from "./kube";
import { checkRotation, formatResult, RotationCheckError, type PodClient, type RotationCheckInput, type VaultClient } from "./rotation-check";

export const USAGE =
  "usage: npm run rotation-check -- --env <name> --value-file <path> [--secret <objectName>] [--timeout <seconds>] [--poll <seconds>]";

export interface Arguments {
  readonly env: string;
  readonly valueFile: string;
  readonly secret?: string;
  readonly timeout?: number;
  readonly poll: number;
}

export function parseArgs(args: readonly string[]): Arguments {
  const values = parseFlags(args, { values: ["--env", "--value-file", "--secret", "--timeout", "--poll"] }, USAGE);
  const seconds = (flag: string): number | undefined => {
    const raw = values.get(flag);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new RotationCheckError(`${flag} = ${JSON.stringify(raw)}: must be a whole number of seconds, 1 or more`);
    return n;
  };
  const env = values.get("--env");
  const valueFile = values.get("--value-file");
  if (!env) throw new UsageError(`--env is required; ${USAGE}`);
  if (!valueFile) throw new UsageError(`--value-file is required; ${USAGE}`);
  return { env, valueFile, secret: values.get("--secret"), timeout: seconds("--timeout"), poll: seconds("--poll") ?? 5 };
}

/** What the check needs from the environment's validated config. */
export function inputFromConfig(root: string, args: Arguments, newValue: string): RotationCheckInput {
  const { environments } = loadEnvironments(root);
  const config = environments.find((e) => e.environment === args.env);
  if (!config) throw new RotationCheckError(`no environment ${JSON.stringify(args.env)}: config/ has ${environments.map((e) => e.environment).join(", ")}`);
  const secrets = config.keyVault.secrets.filter((s) => s.objectType === "secret");
  const secret = args.secret ? secrets.find((s) => s.objectName === args.secret) : secrets[0];
  if (!secret) {
    throw new RotationCheckError(`--secret ${JSON.stringify(args.secret)}: not a secret mapped in ${config.file}; mapped: ${secrets.map((s) => s.objectName).join(", ")}`);
  }
  const interval = durationSeconds(config.aks.secretRotationInterval);
  // The pods of the app that owns it: the first of those that mount it.
  const [app] = readersOf(config, secret);
  return {
    vaultName: config.keyVault.name,
    objectName: secret.objectName,
    mountedFile: `${SECRETS_MOUNT_PATH}/${secret.objectAlias}`,
    namespace: app.namespace,
    labelSelector: `app=${app.name}`,
    container: "app",
    newValue,
    valueSource: args.valueFile,
    rotationIntervalSeconds: interval,
    // One interval, plus the provider's fetch and the kubelet's write, with room to spare.
    timeoutSeconds: args.timeout ?? Math.ceil(interval * 2 + 60),
    pollSeconds: args.poll,
  };
}

async function azureVault(vaultName: string): Promise<VaultClient> {
  const { AzureCliCredential } = await import("@azure/identity");
  const { SecretClient } = await import("@azure/keyvault-secrets");
  const client = new SecretClient(`https://${vaultName}.vault.azure.net`, new AzureCliCredential());
  return {
    async setSecret(name, value) {
      const secret = await client.setSecret(name, value);
      return { version: secret.properties.version ?? "(unknown)" };
    },
  };
}

async function kubernetesPods(): Promise<PodClient> {
  const k8s = await import("@kubernetes/client-node");
  const config = await currentKubeConfig();
  const core = config.makeApiClient(k8s.CoreV1Api);
  const exec = new k8s.Exec(config);
  return {
    async findRunningPod(namespace, labelSelector) {
      return firstRunningPod((await core.listNamespacedPod({ namespace, labelSelector })).items);
    },
    async readFile(namespace, pod, container, file) {
      const content = await readPodFile(exec, namespace, pod, container, file);
      if (content === undefined) throw new Error(`cat: ${file}: No such file or directory`);
      return content;
    },
  };
}

export async function main(args: readonly string[]): Promise<number> {
  if (wantsHelp(args)) {
    process.stdout.write(`${USAGE}\n\nOn a deployed environment: sets a new version of a Key Vault secret from a file and times how long the\nfile mounted in a running pod takes to change. Signs in like the Azure CLI, and to the current kubectl context.\n`);
    return 0;
  }
  try {
    const parsed = parseArgs(args);
    const file = path.resolve(parsed.valueFile);
    if (!fs.existsSync(file)) throw new RotationCheckError(`--value-file ${JSON.stringify(parsed.valueFile)}: no such file`);
    const input = inputFromConfig(process.cwd(), parsed, fs.readFileSync(file, "utf8"));
    const clients = { vault: await azureVault(input.vaultName), pods: await kubernetesPods(), clock: wallClock };
    const result = await checkRotation(input, clients, (line) => process.stdout.write(`${line}\n`));
    process.stdout.write(`${formatResult(result, input)}\n`);
    return 0;
  } catch (error) {
    return reportFailure("rotation-check", error, [RotationCheckError, NoKubeContextError]);
  }
}
