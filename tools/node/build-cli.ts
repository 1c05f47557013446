// `npm run tools:lab [-- --help]`
//
// Builds what the lab's node runs (tools/node/node-tools.ts) into a cache outside
// the repository, after the control plane and kubelet (npm run tools:cluster,
// run here too when missing). Idempotent: a second run only checks.
import { reportFailure } from "../command";
import { parseFlags, wantsHelp } from "../flags";
import { clusterCacheDir, ClusterToolsError, ensureClusterTools } from "../cluster/cluster-tools";
import { AZURE_PROVIDER, CSI_DRIVER, DEBIAN_PACKAGES, ensureLabTools, labCacheDir, LabToolsError } from "./node-tools";

const USAGE = "usage: npm run tools:lab [-- --help]";

export async function main(args: readonly string[] = []): Promise<number> {
  if (wantsHelp(args)) {
    process.stdout.write(
      `${USAGE}\n\nBuilds the lab's node for npm run test:lab: the Secrets Store CSI driver ${CSI_DRIVER.version} and its Azure provider\n` +
        `${AZURE_PROVIDER.version} from the Go module proxy (needs Go 1.26+), the lab's own registrar, pause and app stand-in\n` +
        `(tools/node/go/), Debian's ${DEBIAN_PACKAGES.join(", ")} (apt-get download, no install), and two local images, into\n` +
        "  $AKSKV_LAB_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/aks-keyvault-cdktf/lab\n" +
        "The kubelet comes with the control plane (npm run tools:cluster), which this builds first when missing.\n" +
        "A second run with everything in place only checks.\n",
    );
    return 0;
  }
  try {
    parseFlags(args, { values: [] }, USAGE);
    const started = Date.now();
    const log = (line: string) => process.stdout.write(`${line}\n`);
    const cluster = await ensureClusterTools(clusterCacheDir(process.env), log);
    const lab = await ensureLabTools(labCacheDir(process.env), log);
    log(`lab ready in ${((Date.now() - started) / 1000).toFixed(1)} s: kubelet ${cluster.kubernetesVersion}, driver ${lab.versions.driver}, provider ${lab.versions.provider}, ${lab.versions.containerd}, ${lab.versions.runc}`);
    return 0;
  } catch (error) {
    return reportFailure("tools:lab", error, [LabToolsError, ClusterToolsError]);
  }
}
