// `npm run lab:rotation [-- --interval <duration>] [--runs <n>] [--json <file>] [--write-docs]`
//
// The lab's challenge answered on this machine's lab node (npm run tools:lab):
// one pod mounts a Key Vault secret through the real CSI driver and Azure
// provider, and a ConfigMap as a volume, and has an environment variable from
// that ConfigMap. Each round writes a new value to both and times what the
// container sees (tools/node/rotation.ts). The kubelet syncs pods every minute,
// as on AKS, so the ConfigMap's figure is AKS's, not the tests' faster lab.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { objectsParameter, identityParameters } from "../../constructs/secret-provider-class";
import { durationSeconds } from "../../config/domain";
import { rotationInterval } from "../../config/rules";
import { reportFailure, wallClock } from "../command";
import { parseFlags, UsageError, wantsHelp } from "../flags";
import { podCommandOutput } from "../ops/kube";
import { AUTHORITY_HOST, type Directory } from "./azure-stand-ins/entra";
import { KeyVaultStandIn, VAULT_RESOURCE } from "./azure-stand-ins/keyvault";
import { serveStandIns, type StandInServers } from "./azure-stand-ins/serve";
import { clusterCacheDir, ClusterToolsError, loadClusterTools } from "../cluster/cluster-tools";
import { LabError, makeCa, startLabNode, waitUntil, type LabNode } from "./node";
import { measureRotation, rotationTable, RotationMeasureError, withRotationTable, type RotationReport } from "./rotation";
import { IMAGES, labCacheDir, LabToolsError, loadLabTools } from "./node-tools";

const USAGE = "usage: npm run lab:rotation [-- --interval <duration>] [--runs <n>] [--json <file>] [--write-docs]";
const KUBELET_SYNC = "1m";
const NAMESPACE = "lab-rotation";
const STAND_IN_IP = "127.0.0.2";
const TENANT = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
const NODE_IDENTITY = { clientId: "11111111-aaaa-4aaa-8aaa-111111111111", objectId: "22222222-bbbb-4bbb-8bbb-222222222222" };
const VAULT = "kv-lab-rotation";
const OBJECT = "rotation-value";

export async function main(args: readonly string[] = []): Promise<number> {
  if (wantsHelp(args)) {
    process.stdout.write(
      `${USAGE}\n\nOn the lab's node (npm run tools:lab first; root): times how long a change takes to reach a running container,\n` +
        "for a Key Vault secret mounted by the CSI driver, a ConfigMap volume, and an environment variable from that ConfigMap.\n" +
        "  --interval    the driver's rotation poll interval (default 5s; AKS's add-on default is 2m)\n" +
        "  --runs        rounds, at least 3 (default 3); the table gives each and the median\n" +
        "  --json        also write the figures to this file\n" +
        "  --write-docs  write the dated table into docs/rotation.md\n" +
        `Takes up to 1.5 minutes per round, plus one warm-up round: the kubelet rewrites ConfigMap volumes when it syncs the pod,\n` +
        `every ${KUBELET_SYNC} as on AKS, jittered by up to 50 %.\n` +
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
    const flags = parseFlags(args, { values: ["--interval", "--runs", "--json"], switches: ["--write-docs"] }, USAGE);
    const interval = flags.get("--interval") ?? "5s";
    if (!rotationInterval.test(interval)) throw new UsageError(`--interval ${JSON.stringify(interval)}: ${rotationInterval.describe}; ${USAGE}`);
    const runs = Number(flags.get("--runs") ?? "3");
    if (!Number.isInteger(runs) || runs < 3) throw new UsageError(`--runs ${JSON.stringify(flags.get("--runs"))}: must be a whole number of at least 3, for a median; ${USAGE}`);
    // Checked before minutes of measuring: a table that has nowhere to go fails now.
    const doc = path.resolve("docs", "rotation.md");
    if (flags.has("--write-docs")) withRotationTable(fs.readFileSync(doc, "utf8"), "");
    const log = (line: string) => process.stdout.write(`${line}\n`);
    const cluster = loadClusterTools(clusterCacheDir(process.env));
    const lab = loadLabTools(labCacheDir(process.env));

    const pki = path.join(scratch, "pki");
    const caFile = makeCa(pki);
    const keys = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const identityHeader = crypto.randomBytes(16).toString("hex");
    const directory: Directory = {
      tenantId: TENANT,
      identities: [{ ...NODE_IDENTITY, onNodes: true, federatedCredentials: [] }],
      issuerKeys: new Map(),
      signingKey: keys.privateKey,
      identityHeader,
      resources: [VAULT_RESOURCE],
    };
    const vault = new KeyVaultStandIn({ name: VAULT, tenantId: TENANT, grants: [{ objectId: NODE_IDENTITY.objectId, secretPermissions: ["get"], via: "accessPolicy" }], tokenKey: keys.publicKey });
    standIns = await serveStandIns({ pki, ip: STAND_IN_IP, directory: () => directory, vaults: () => [vault] });
    node = await startLabNode({
      cluster,
      lab,
      dir: path.join(scratch, "node"),
      issuer: `https://lab-rotation.invalid/${TENANT}/`,
      rotationInterval: interval,
      kubeletSyncFrequency: KUBELET_SYNC,
      hostAliases: { ip: STAND_IN_IP, hostnames: [AUTHORITY_HOST, vault.host] },
      identityEndpoint: { url: standIns.identityEndpoint, header: identityHeader },
      caFile,
      log,
    });
    const labNode = node;
    const initial = "round 0";
    vault.setSecret(OBJECT, initial);
    const create = async (urlPath: string, body: object) => {
      const created = await labNode.api("POST", urlPath, body as never);
      if (created.status >= 300) throw new LabError(`POST ${urlPath}: ${created.status} ${JSON.stringify(created.body).slice(0, 300)}`);
    };
    await create("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } });
    const configMap = (value: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "rotation", namespace: NAMESPACE }, data: { value } });
    await create(`/api/v1/namespaces/${NAMESPACE}/configmaps`, configMap(initial));
    await create(`/apis/secrets-store.csi.x-k8s.io/v1/namespaces/${NAMESPACE}/secretproviderclasses`, {
      apiVersion: "secrets-store.csi.x-k8s.io/v1",
      kind: "SecretProviderClass",
      metadata: { name: "rotation", namespace: NAMESPACE },
      spec: {
        provider: "azure",
        parameters: { ...identityParameters("node", NODE_IDENTITY.clientId), keyvaultName: VAULT, tenantID: TENANT, objects: objectsParameter([{ objectName: OBJECT, objectType: "secret", objectAlias: "value" }]) },
      },
    });
    await create(`/api/v1/namespaces/${NAMESPACE}/pods`, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "rotation", namespace: NAMESPACE },
      spec: {
        securityContext: { runAsNonRoot: true, runAsUser: 65534 },
        containers: [
          {
            name: "app",
            image: node.images[IMAGES.app],
            command: ["sleep", "86400"],
            env: [{ name: "ROTATION_VALUE", valueFrom: { configMapKeyRef: { name: "rotation", key: "value" } } }],
            securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
            volumeMounts: [
              { name: "keyvault", mountPath: "/app/secrets/keyvault", readOnly: true },
              { name: "configmap", mountPath: "/app/secrets/configmap", readOnly: true },
            ],
          },
        ],
        volumes: [
          { name: "keyvault", csi: { driver: "secrets-store.csi.k8s.io", readOnly: true, volumeAttributes: { secretProviderClass: "rotation" } } },
          { name: "configmap", configMap: { name: "rotation" } },
        ],
      },
    });
    await waitUntil("the rotation pod running with its volumes mounted", async () => (await labNode.api("GET", `/api/v1/namespaces/${NAMESPACE}/pods/rotation`)).body?.status?.phase === "Running", 120);

    const k8s = await import("@kubernetes/client-node");
    const kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromFile(node.kubeconfig);
    const exec = new k8s.Exec(kubeConfig);
    // Printable: an argument of exec cannot hold a NUL.
    const separator = "<akskv-lab-rotation>";
    const script = `cat /app/secrets/keyvault/value; printf '${separator}'; cat /app/secrets/configmap/value; printf '${separator}'; printf '%s' "$ROTATION_VALUE"`;
    const seconds = durationSeconds(interval);
    const rounds = await measureRotation(
      {
        async write(value) {
          vault.setSecret(OBJECT, value);
          const put = await labNode.api("PUT", `/api/v1/namespaces/${NAMESPACE}/configmaps/rotation`, configMap(value) as never);
          if (put.status >= 300) throw new LabError(`PUT the ConfigMap: ${put.status}`);
        },
        async read() {
          const out = (await podCommandOutput(exec, NAMESPACE, "rotation", "app", ["sh", "-c", script])) ?? "";
          const [keyVault, configMapValue, env] = out.split(separator);
          return { keyVault, configMap: configMapValue, env };
        },
        clock: wallClock,
      },
      // The kubelet's sync can come up to a minute plus its jitter after the write; the driver's pass within an interval.
      { runs, warmUpRounds: 1, pollMs: 200, roundTimeoutSeconds: Math.max(2 * seconds, 150) + 30 },
      log,
    );
    const report: RotationReport = { date: new Date().toISOString().slice(0, 10), rotationInterval: interval, kubeletSyncFrequency: KUBELET_SYNC, rounds };
    const table = rotationTable(report);
    log(`\n${table}`);
    const json = flags.get("--json");
    if (json) fs.writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
    if (flags.has("--write-docs")) {
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
