// Rolling the pods when a secret this project manages changes (app.rolloutOnSecretChange).

export const SECRET_VERSIONS_ANNOTATION = "aks-keyvault.cdktf.io/secret-versions";

/**
 * The pod template annotation that changes exactly when a managed secret's
 * version does: a new value makes a new pod template, so Kubernetes rolls the
 * pods and each mounts the new value at start, even if the app reads its
 * files only once. Rotation by the add-on alone updates files in running pods.
 */
export function rolloutAnnotations(versions: Readonly<Record<string, string>>): Record<string, string> | undefined {
  const names = Object.keys(versions).sort();
  if (names.length === 0) return undefined;
  return { [SECRET_VERSIONS_ANNOTATION]: names.map((name) => `${name}=${versions[name]}`).join(",") };
}
