// Where the tools this project builds or installs live: outside the repository,
// shared by every clone on the machine, and movable with one variable each.
import * as os from "os";
import * as path from "path";

/** `env[variable]` when set, else ${XDG_CACHE_HOME:-~/.cache}/aks-keyvault-cdktf/<name>. */
export function toolCacheDir(env: NodeJS.ProcessEnv, variable: string, name: string): string {
  const chosen = env[variable];
  if (chosen) return path.resolve(chosen);
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "aks-keyvault-cdktf", name);
}
