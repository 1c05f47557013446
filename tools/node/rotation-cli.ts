// `npm run lab:rotation [-- --intervals <d,d,...>] [--runs <n>] [--json <file>] [--write-docs]`
//
// The lab's challenge answered on this machine's lab node (npm run tools:lab):
// one pod mounts a Key Vault secret through the real CSI driver and Azure
// provider, with the stacks' own SecretProviderClass (secretProviderClassManifest),
// and a ConfigMap as a volume, and has an environment variable from that
// ConfigMap. Each round writes a new value to both and times what the pod sees
// (tools/node/rotation.ts). Each interval gets a fresh node whose driver polls
// and whose kubelet syncs pods at that interval, so the deliveries are compared
// at the same interval; 1m is AKS's kubelet default.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { secretProviderClassManifest } from "../../constructs/secret-provider-class";
import { durationSeconds } from "../../config/domain";
import { rotationInterval } from "../../config/rules";
import { CSI_DRIVER_NAME, SECRETS_MOUNT_PATH } from "../../config/types";
import { reportFailure, wallClock } from "../command";
import { parseFlags, UsageError, wantsHelp } from "../flags";
import { podCommandOutput } from "../ops/kube";
import { AUTHORITY_HOST, type Directory } from "./azure-stand-ins/entra";
import { KeyVaultStandIn, VAULT_RESOURCE } from "./azure-stand-ins/keyvault";
import { serveStandIns, type StandInServers } from "./azure-stand-ins/serve";
import { clusterCacheDir, ClusterToolsError, loadClusterTools } from "../cluster/cluster-tools";
import { LabError, makeCa, startLabNode, waitUntil, type LabNode } from "./node";
import { measureRotation, rotationTable, RotationMeasureError, withRotationTable, type RotationReport, type RotationSeries } from "./rotation";
import { IMAGES, labCacheDir, LabToolsError, loadLabTools } from "./node-tools";

const USAGE = "usage: npm run lab:rotation [-- --intervals <d,d,...>] [--runs <n>] [--json <file>] [--write-docs]";
const NAMESPACE = "lab-rotation";
const STAND_IN_IP = "127.0.0.2";
const TENANT = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
const NODE_IDENTITY = { clientId: "11111111-aaaa-4aaa-8aaa-111111111111", objectId: "22222222-bbbb-4bbb-8bbb-222222222222" };
const VAULT = "kv-lab-rotation";
const OBJECT = "rotation-value";
const POLL_MS = 100;

export async function main(args: readonly string[] = []): Promise<number> {
  if (wantsHelp(args)) {
    process.stdout.write(
      `${USAGE}\n\nOn the lab's node (npm run tools:lab first; root): times how long a change takes to reach a running pod,\n` +
        "for a Key Vault secret mounted by the CSI driver through the stacks' own SecretProviderClass, a ConfigMap volume,\n" +
        "and an environment variable from that ConfigMap; min, median and max per interval.\n" +
        "  --intervals   at least two; each runs on a fresh node whose driver polls Key Vault and whose kubelet syncs pods\n" +
        "                at that interval (default 10s,1m; 1m is AKS's kubelet default, 2m the add-on's rotation default)\n" +
        "  --runs        rounds per interval, at least 5 (default 5), after one uncounted warm-up round\n" +
        "  --json        also write the figures to this file\n" +
        "  --write-docs  write the dated table into docs/rotation.md\n" +
        `The pod's files are read every ${POLL_MS} ms where the kubelet mounted them; the container itself once a round.\n` +
        "A round takes up to 1.5 intervals; with the defaults the run takes about 12 minutes.\n" +
        "Only loopback is used: Key Vault and Entra ID are the lab's stand-ins (tools/node/azure-stand-ins/).\n",
    );
    return 0;
  }
  let node: LabNode | undefined;
  let standIns: StandInServers | undefined;
  const scratch = fs.mkdtempSync(path.join(process.env.TMPDIR ?? "/tmp", "akskv-lab-rotation-"));
  const stop = async () => {
    await node?.stop();
    await standIns?.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  };
  const interrupted = () => void stop().then(() => process.exit(130));
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    const { intervals, runs, json, writeDocs } = options(args);
    // Checked before minutes of measuring: a table that has nowhere to go fails now.
    const doc = path.resolve("docs", "rotation.md");
    if (writeDocs) withRotationTable(fs.readFileSync(doc, "utf8"), "");
    const log = (line: string) => process.stdout.write(`${line}\n`);
    const tools = { cluster: loadClusterTools(clusterCacheDir(process.env)), lab: loadLabTools(labCacheDir(process.env)) };
    const pki = path.join(scratch, "pki");
    const caFile = makeCa(pki);
    const keys = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const identityHeader = crypto.randomBytes(16).toString("hex");
    const directory: Directory = { tenantId: TENANT, identities: [{ ...NODE_IDENTITY, onNodes: true, federatedCredentials: [] }], issuerKeys: new Map(), signingKey: keys.privateKey, identityHeader, resources: [VAULT_RESOURCE] };
    const vault = new KeyVaultStandIn({ name: VAULT, tenantId: TENANT, grants: [{ objectId: NODE_IDENTITY.objectId, secretPermissions: ["get"], via: "accessPolicy" }], tokenKey: keys.publicKey });
    standIns = await serveStandIns({ pki, ip: STAND_IN_IP, directory: () => directory, vaults: () => [vault] });
    const served = standIns;
    const series: RotationSeries[] = [];
    for (const interval of intervals) {
      log(`\n== interval ${interval}: the driver polls and the kubelet syncs pods every ${interval}`);
      const dir = path.join(scratch, `node-${interval}`);
      node = await startLabNode({ ...tools, dir, issuer: `https://lab-rotation.invalid/${TENANT}/`, rotationInterval: interval, kubeletSyncFrequency: interval, hostAliases: { ip: STAND_IN_IP, hostnames: [AUTHORITY_HOST, vault.host] }, identityEndpoint: { url: served.identityEndpoint, header: identityHeader }, caFile, log });
      series.push({ interval, rounds: await measureOn(node, path.join(dir, "kubelet"), vault, interval, runs, log) });
      await node.stop();
      node = undefined;
    }
    const report: RotationReport = { date: new Date().toISOString().slice(0, 10), pollMs: POLL_MS, series };
    const table = rotationTable(report);
    log(`\n${table}`);
    if (json) fs.writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
    if (writeDocs) {
      fs.writeFileSync(doc, withRotationTable(fs.readFileSync(doc, "utf8"), table));
      log(`written to ${path.relative(process.cwd(), doc)}`);
    }
    return 0;
  } catch (error) {
    return reportFailure("lab:rotation", error, [LabError, LabToolsError, ClusterToolsError, RotationMeasureError]);
  } finally {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
    await stop();
  }
}

function options(args: readonly string[]): { intervals: string[]; runs: number; json?: string; writeDocs: boolean } {
  const flags = parseFlags(args, { values: ["--intervals", "--runs", "--json"], switches: ["--write-docs"] }, USAGE);
  const intervals = (flags.get("--intervals") ?? "10s,1m").split(",");
  for (const interval of intervals) {
    if (!rotationInterval.test(interval)) throw new UsageError(`--intervals ${JSON.stringify(interval)}: ${rotationInterval.describe}; ${USAGE}`);
  }
  if (new Set(intervals).size < 2) throw new UsageError(`--intervals ${JSON.stringify(flags.get("--intervals"))}: give at least two different intervals, to compare; ${USAGE}`);
  const runs = Number(flags.get("--runs") ?? "5");
  if (!Number.isInteger(runs) || runs < 5) throw new UsageError(`--runs ${JSON.stringify(flags.get("--runs"))}: must be a whole number of at least 5, for a min, median and max; ${USAGE}`);
  return { intervals, runs, json: flags.get("--json"), writeDocs: flags.has("--write-docs") };
}

const configMap = (value: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "rotation", namespace: NAMESPACE }, data: { value } });

/** The pod: the stacks' class, mounted where the app mounts it, beside a ConfigMap volume and a variable from it. */
function rotationPod(image: string) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "rotation", namespace: NAMESPACE },
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 65534 },
      containers: [
        {
          name: "app",
          image,
          command: ["sleep", "86400"],
          env: [{ name: "ROTATION_VALUE", valueFrom: { configMapKeyRef: { name: "rotation", key: "value" } } }],
          securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
          volumeMounts: [
            { name: "secrets", mountPath: SECRETS_MOUNT_PATH, readOnly: true },
            { name: "configmap", mountPath: "/app/configmap", readOnly: true },
          ],
        },
      ],
      volumes: [
        { name: "secrets", csi: { driver: CSI_DRIVER_NAME, readOnly: true, volumeAttributes: { secretProviderClass: "rotation" } } },
        { name: "configmap", configMap: { name: "rotation" } },
      ],
    },
  };
}

/** Reads a file the kubelet may be swapping (the atomic writer's rename): missing for a moment is "". */
const readNow = (file: string) => {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return "";
  }
};

async function measureOn(node: LabNode, kubeletRoot: string, vault: KeyVaultStandIn, interval: string, runs: number, log: (line: string) => void) {
  const initial = `start ${interval}`;
  vault.setSecret(OBJECT, initial);
  const create = async (urlPath: string, body: object) => {
    const created = await node.api("POST", urlPath, body as never);
    if (created.status >= 300) throw new LabError(`POST ${urlPath}: ${created.status} ${JSON.stringify(created.body).slice(0, 300)}`);
  };
  await create("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } });
  await create(`/api/v1/namespaces/${NAMESPACE}/configmaps`, configMap(initial));
  const spc = secretProviderClassManifest({ name: "rotation", namespace: NAMESPACE, keyVaultName: VAULT, tenantId: TENANT, identityClientId: NODE_IDENTITY.clientId, identityKind: "node", objects: [{ objectName: OBJECT, objectType: "secret", objectAlias: "value" }] });
  await create(`/apis/secrets-store.csi.x-k8s.io/v1/namespaces/${NAMESPACE}/secretproviderclasses`, spc);
  await create(`/api/v1/namespaces/${NAMESPACE}/pods`, rotationPod(node.images[IMAGES.app]));
  const podPath = `/api/v1/namespaces/${NAMESPACE}/pods/rotation`;
  await waitUntil("the rotation pod running with its volumes mounted", async () => (await node.api("GET", podPath)).body?.status?.phase === "Running", 120);
  const uid = String((await node.api("GET", podPath)).body?.metadata?.uid);
  const volumes = path.join(kubeletRoot, "pods", uid, "volumes");
  const files = { keyVault: path.join(volumes, "kubernetes.io~csi", "secrets", "mount", "value"), configMap: path.join(volumes, "kubernetes.io~configmap", "configmap", "value") };
  if (readNow(files.keyVault) !== initial) throw new LabError(`the pod's Key Vault file is not where the kubelet mounts CSI volumes: ${files.keyVault}`);

  const k8s = await import("@kubernetes/client-node");
  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromFile(node.kubeconfig);
  const exec = new k8s.Exec(kubeConfig);
  // Printable: an argument of exec cannot hold a NUL.
  const separator = "<akskv-lab-rotation>";
  const script = `cat ${SECRETS_MOUNT_PATH}/value; printf '${separator}'; cat /app/configmap/value; printf '${separator}'; printf '%s' "$ROTATION_VALUE"`;
  const seconds = durationSeconds(interval);
  return measureRotation(
    {
      async write(value) {
        vault.setSecret(OBJECT, value);
        const put = await node.api("PUT", `/api/v1/namespaces/${NAMESPACE}/configmaps/rotation`, configMap(value) as never);
        if (put.status >= 300) throw new LabError(`PUT the ConfigMap: ${put.status}`);
      },
      readFiles: async () => ({ keyVault: readNow(files.keyVault), configMap: readNow(files.configMap) }),
      async readContainer() {
        const out = (await podCommandOutput(exec, NAMESPACE, "rotation", "app", ["sh", "-c", script])) ?? "";
        const [keyVault, configMapValue, env] = out.split(separator);
        return { keyVault, configMap: configMapValue, env };
      },
      clock: wallClock,
    },
    // The kubelet's sync can come up to 1.5 periods after the write, plus its cache; the driver's pass within an interval.
    { runs, warmUpRounds: 1, pollMs: POLL_MS, roundTimeoutSeconds: Math.max(2 * seconds, 60) + 30 },
    log,
  );
}
