// `npm run tools:lab [-- --help]`
//
// Builds what the lab's node runs (tools/node/node-tools.ts) into a cache outside
// the repository, after the control plane and kubelet (npm run tools:cluster,
// run here too when missing). Idempotent: a second run only checks.
import { toolsCommand } from "../command";
import { clusterCacheDir, ClusterToolsError, ensureClusterTools } from "../cluster/cluster-tools";
import { AZURE_PROVIDER, CSI_DRIVER, DEBIAN_PACKAGES, ensureLabTools, labCacheDir, LabToolsError } from "./node-tools";

export const main = toolsCommand(
  "tools:lab",
  `Builds the lab's node for npm run test:lab: the Secrets Store CSI driver ${CSI_DRIVER.version} and its Azure provider\n` +
    `${AZURE_PROVIDER.version} from the Go module proxy (needs Go 1.26+), the lab's own registrar, pause and app stand-in\n` +
    `(tools/node/go/), Debian's ${DEBIAN_PACKAGES.join(", ")} (apt-get download, no install), and two local images, into\n` +
    "  $AKSKV_LAB_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/aks-keyvault-cdktf/lab\n" +
    "The kubelet comes with the control plane (npm run tools:cluster), which this builds first when missing.\n" +
    "A second run with everything in place only checks.\n",
  [LabToolsError, ClusterToolsError],
  async (log) => {
    const started = Date.now();
    const cluster = await ensureClusterTools(clusterCacheDir(process.env), log);
    const lab = await ensureLabTools(labCacheDir(process.env), log);
    return `lab ready in ${((Date.now() - started) / 1000).toFixed(1)} s: kubelet ${cluster.kubernetesVersion}, driver ${lab.versions.driver}, provider ${lab.versions.provider}, ${lab.versions.containerd}, ${lab.versions.runc}`;
  },
);
