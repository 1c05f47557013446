import * as fs from "fs";
import { baseConfig, filesUnder, resourcesOfType, synthProject } from "../support/helpers";

describe("secret values", () => {
  const marker = `MARKER-${process.pid}-${Date.now()}-do-not-leak`;
  const dev = baseConfig("dev");
  dev.keyVault.secrets.push({
    objectName: "api-key",
    objectType: "secret",
    objectAlias: "api-key.txt",
    source: { file: "secrets/dev/api-key.txt" },
  });
  const project = synthProject(
    { dev },
    {
      "secrets/dev/configurable-secret.json": JSON.stringify({ Features: { SecretApiKey: marker } }),
      "secrets/dev/api-key.txt": `${marker}-2`,
    },
  );

  test("appear nowhere under cdktf.out", () => {
    const files = filesUnder(project.outdir);
    expect(files.filter((f) => f.endsWith("cdk.tf.json"))).toHaveLength(3);
    for (const file of files) expect(fs.readFileSync(file, "utf8")).not.toContain(marker);
  });

  test("nor does any credential to the cluster or to Azure: no admin or client kubeconfig, client secret or private key", () => {
    const credentials = [/kube_admin_config/, /kube_config_raw/, /kube_config(?:\[0\]|\.0)\.(?:client_key|client_certificate|password|username)/, /"client_secret"\s*:/, /"client_certificate_password"\s*:/, /-----BEGIN [A-Z ]*PRIVATE KEY-----/];
    const found = filesUnder(project.outdir).flatMap((file) => credentials.filter((c) => c.test(fs.readFileSync(file, "utf8"))).map((c) => `${file}: ${c}`));
    expect(found).toEqual([]);
  });

  test("are never set through the stored `value` argument, only the write-only one", () => {
    const secrets = resourcesOfType(project.json("keyvault-dev"), "azurerm_key_vault_secret");
    expect(secrets).toHaveLength(2);
    for (const secret of secrets) {
      expect(secret.value).toBeUndefined();
      expect(secret.value_wo).toMatch(/^\$\{sensitive\(file\(/);
    }
  });

  test("are never read back by a data source (data sources store values in state)", () => {
    for (const stack of ["aks-dev", "keyvault-dev", "app-dev"]) {
      expect(project.json(stack).data?.azurerm_key_vault_secret).toBeUndefined();
    }
  });
});
