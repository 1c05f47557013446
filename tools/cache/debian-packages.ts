// Debian packages unpacked into a tool cache, never installed: `apt-get
// download` and `dpkg-deb -x`, the way the control plane gets etcd and the lab
// gets containerd, runc, the CNI plugins and busybox.
import * as fs from "fs";
import * as path from "path";
import { runCollecting } from "./build-step";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ErrorClass = new (message: string) => Error;

/** Unpacks the packages, together, into target (replacing it); returns the .deb files' names. */
export async function unpackDebianPackages(packages: readonly string[], target: string, errorClass: ErrorClass): Promise<string[]> {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const work = fs.mkdtempSync(path.join(path.dirname(target), "debian-"));
  try {
    await runCollecting("apt-get", ["download", ...packages], { cwd: work, errorClass });
    const debs = fs.readdirSync(work).filter((f) => f.endsWith(".deb")).sort();
    if (debs.length !== packages.length) throw new errorClass(`apt-get download ${packages.join(" ")} wrote ${debs.length} of ${packages.length} packages; run apt-get update first`);
    const root = path.join(work, "root");
    for (const deb of debs) await runCollecting("dpkg-deb", ["-x", path.join(work, deb), root], { cwd: work, errorClass });
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(root, target);
    return debs;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
