// The tool caches outside the repository (OpenTofu and providers, the local
// control plane, checkov): where they live, and how their install steps report
// progress and failure.
import * as os from "os";
import * as path from "path";
import { clusterCacheDir } from "../../tools/cluster/cluster-tools";
import { toolsCacheDir } from "../../tools/engine/toolchain";
import { runCollecting } from "../../tools/cache/build-step";
import { CHECKOV_VERSION } from "../../tools/scan/checkov";
import { checkovDir } from "../../tools/scan/checkov-run";

describe("where each tool cache lives", () => {
  const caches = [
    { variable: "AKSKV_TOOLS_CACHE", folder: "terraform", dir: toolsCacheDir },
    { variable: "AKSKV_CLUSTER_CACHE", folder: "cluster", dir: clusterCacheDir },
    { variable: "AKSKV_CHECKOV_CACHE", folder: `checkov-${CHECKOV_VERSION}`, dir: checkovDir },
  ];

  test.each(caches)("$variable, else aks-keyvault-cdktf/$folder under XDG_CACHE_HOME, else ~/.cache", ({ variable, folder, dir }) => {
    expect(dir({ [variable]: "relative/cache", XDG_CACHE_HOME: "/xdg" })).toBe(path.resolve("relative/cache"));
    expect(dir({ XDG_CACHE_HOME: "/xdg" })).toBe(path.join("/xdg", "aks-keyvault-cdktf", folder));
    expect(dir({})).toBe(path.join(os.homedir(), ".cache", "aks-keyvault-cdktf", folder));
  });

  test("each tool has a folder of its own", () => {
    expect(new Set(caches.map(({ dir }) => dir({ XDG_CACHE_HOME: "/xdg" }))).size).toBe(caches.length);
  });
});

describe("an install step (runCollecting)", () => {
  class StepError extends Error {}
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const node = (script: string) => [process.execPath, ["-e", script]] as const;

  test("resolves with stdout alone, and shows every line of both streams, also one split across writes or without a newline", async () => {
    const lines: string[] = [];
    const [command, args] = node(`
      process.stderr.write("go: downloading k8s.io/api\\n");
      process.stdout.write('{"GoMod": ');
      setTimeout(() => { process.stdout.write('"/x/go.mod"}\\n'); process.stderr.write("last line"); }, 50);`);
    const stdout = await runCollecting(command, args, { onLine: (line) => lines.push(line) });
    expect(JSON.parse(stdout)).toEqual({ GoMod: "/x/go.mod" });
    expect(lines.sort()).toEqual(['{"GoMod": "/x/go.mod"}', "go: downloading k8s.io/api", "last line"].sort());
  });

  test("a failure is the caller's error, with the exit code, the folder and the last lines the command printed", async () => {
    const [command, args] = node(`for (let i = 1; i <= 5; i++) console.error("line " + i); process.exit(3);`);
    const failure = runCollecting(command, args, { cwd: os.tmpdir(), errorClass: StepError });
    await expect(failure).rejects.toBeInstanceOf(StepError);
    await expect(failure).rejects.toThrow(new RegExp(`failed \\(exit 3\\) in ${escape(os.tmpdir())}: line 3 line 4 line 5$`));
  });

  test("a command that does not exist: says it could not start", async () => {
    await expect(runCollecting("no-such-command-akskv", [], { errorClass: StepError })).rejects.toThrow(/^no-such-command-akskv could not start: spawn no-such-command-akskv ENOENT$/);
  });
});
