// `npm run tools:cluster [-- --help]`
//
// Builds kube-apiserver and kube-controller-manager from source through the Go
// module proxy and unpacks Debian's etcd package, into a cache outside the
// repository (see clusterCacheDir). Idempotent: a second run does nothing.
import { reportFailure } from "../command";
import { parseFlags, wantsHelp } from "../flags";
import { clusterCacheDir, ClusterToolsError, ensureClusterTools, ETCD_PACKAGE, KUBERNETES } from "./cluster-tools";

const USAGE = "usage: npm run tools:cluster [-- --help]";

export async function main(args: readonly string[] = []): Promise<number> {
  if (wantsHelp(args)) {
    process.stdout.write(
      `${USAGE}\n\nBuilds kube-apiserver and kube-controller-manager ${KUBERNETES.version} from source through the Go module\n` +
        `proxy (needs Go 1.26+) and unpacks Debian's ${ETCD_PACKAGE} package (apt-get download, no install) into\n` +
        "  $AKSKV_CLUSTER_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/aks-keyvault-cdktf/cluster\n" +
        "for npm run test:cluster. A second run with everything in place does nothing.\n",
    );
    return 0;
  }
  try {
    parseFlags(args, { values: [] }, USAGE);
    const tools = await ensureClusterTools(clusterCacheDir(process.env), (line) => process.stdout.write(`${line}\n`));
    process.stdout.write(`local control plane ready: ${tools.kubernetesVersion}, etcd ${tools.etcdVersion}\n`);
    return 0;
  } catch (error) {
    return reportFailure("tools:cluster", error, [ClusterToolsError]);
  }
}
