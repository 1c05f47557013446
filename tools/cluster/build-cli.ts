// `npm run tools:cluster [-- --help]`
//
// Builds kube-apiserver and kube-controller-manager from source through the Go
// module proxy and unpacks Debian's etcd package, into a cache outside the
// repository (see clusterCacheDir). Idempotent: a second run does nothing.
import { toolsCommand } from "../command";
import { clusterCacheDir, ClusterToolsError, ensureClusterTools, ETCD_PACKAGE, KUBERNETES } from "./cluster-tools";

export const main = toolsCommand(
  "tools:cluster",
  `Builds kube-apiserver and kube-controller-manager ${KUBERNETES.version} from source through the Go module\n` +
    `proxy (needs Go 1.26+) and unpacks Debian's ${ETCD_PACKAGE} package (apt-get download, no install) into\n` +
    "  $AKSKV_CLUSTER_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/aks-keyvault-cdktf/cluster\n" +
    "for npm run test:cluster. A second run with everything in place does nothing.\n",
  [ClusterToolsError],
  async (log) => {
    const tools = await ensureClusterTools(clusterCacheDir(process.env), log);
    return `local control plane ready: ${tools.kubernetesVersion}, etcd ${tools.etcdVersion}`;
  },
);
