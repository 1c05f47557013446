import { DEPLOYMENT, KUBERNETES_PROVIDER, NAMESPACE, SERVICE } from "../engine/resource-types";
import { load } from "js-yaml";
import { rolloutAnnotations, SECRET_VERSIONS_ANNOTATION } from "../../lib/rollout";
import { baseConfig, hardenedConfig, resourcesOfType, synthProject, type Json } from "../support/helpers";

describe("app stack", () => {
  const dev = baseConfig("dev");
  dev.apps[0].replicas = 3;
  dev.apps[0].env = { ASPNETCORE_URLS: "http://+:8080" };
  dev.keyVault.secrets.push({ objectName: "db-password", objectType: "secret", objectAlias: "db-password.txt", source: { existing: true } });
  const project = synthProject({ dev });
  const text = project.text("app-dev");
  const json = project.json("app-dev");
  const spc: Json = resourcesOfType(json, "kubernetes_manifest")[0].manifest;
  const deployment: Json = resourcesOfType(json, "kubernetes_deployment_v1")[0];

  test("signs in to the cluster with kubelogin and carries no client keys, tokens or kubeconfig paths", () => {
    expect(text).toHaveProviderWithProperties(KUBERNETES_PROVIDER, {
      exec: [
        {
          api_version: "client.authentication.k8s.io/v1beta1",
          command: "kubelogin",
          args: ["get-token", "--login", "azurecli", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"],
        },
      ],
    });
    const provider = json.provider.kubernetes[0];
    expect(Object.keys(provider).sort()).toEqual(["cluster_ca_certificate", "exec", "host"]);
  });

  test("creates the app's namespace", () => {
    expect(text).toHaveResourceWithProperties(NAMESPACE, { metadata: { name: "configurable" } });
  });

  test("declares a SecretProviderClass for the Azure provider using the add-on's node identity", () => {
    expect(spc).toMatchObject({
      apiVersion: "secrets-store.csi.x-k8s.io/v1",
      kind: "SecretProviderClass",
      metadata: { name: "configurable-keyvault", namespace: "configurable" },
      spec: { provider: "azure" },
    });
    expect(spc.spec.parameters).toMatchObject({ usePodIdentity: "false", useVMManagedIdentity: "true" });
  });

  test("gives the SecretProviderClass only string parameters, with tenantID spelled as the provider reads it first", () => {
    const parameters = spc.spec.parameters;
    expect(Object.keys(parameters).sort()).toEqual(
      ["keyvaultName", "objects", "tenantID", "usePodIdentity", "useVMManagedIdentity", "userAssignedIdentityID"].sort(),
    );
    for (const value of Object.values(parameters)) expect(typeof value).toBe("string");
  });

  test("lists every configured object as a YAML array the provider parses, aliases as file names", () => {
    const outer = load(spc.spec.parameters.objects) as { array: string[] };
    expect(Object.keys(outer)).toEqual(["array"]);
    expect(outer.array.map((entry) => load(entry))).toEqual([
      { objectName: "configurable-secrets", objectType: "secret", objectAlias: "secret.json" },
      { objectName: "db-password", objectType: "secret", objectAlias: "db-password.txt" },
    ]);
  });

  test("carries each object option as the provider reads it: a pinned version, a version history, a certificate's PFX with its key, decoded, and a quoted file mode", () => {
    const config = baseConfig("dev");
    config.keyVault.secrets.push(
      { objectName: "api-key", objectType: "secret", objectAlias: "api-key", source: { existing: true }, objectVersion: "0123456789abcdef0123456789abcdef", objectVersionHistory: 2 },
      { objectName: "tls", objectType: "secret", objectAlias: "tls.pfx", source: { existing: true }, objectFormat: "pfx", objectEncoding: "base64", filePermission: "0444" },
    );
    const project = synthProject({ dev: config });
    const manifest = Object.values(resourcesOfType(project.json("app-dev"), "kubernetes_manifest"))[0].manifest;
    const objects = manifest.spec.parameters.objects as string;
    // Quoted: the provider reads filePermission into a string; a bare 0444 would be YAML's number 444 or 292.
    expect(objects).toContain('    filePermission: "0444"\n');
    expect((load(objects) as { array: string[] }).array.slice(1).map((entry) => load(entry))).toEqual([
      { objectName: "api-key", objectType: "secret", objectAlias: "api-key", objectVersion: "0123456789abcdef0123456789abcdef", objectVersionHistory: 2 },
      { objectName: "tls", objectType: "secret", objectAlias: "tls.pfx", objectFormat: "pfx", objectEncoding: "base64", filePermission: "0444" },
    ]);
  });

  test("an object with env becomes a variable: the class syncs it to one Opaque Secret (secretObjects), the container reads it by secretKeyRef", () => {
    const config = baseConfig("dev");
    config.keyVault.secrets[0].env = "APP_CONFIG";
    const project = synthProject({ dev: config });
    const stack = project.json("app-dev");
    const manifest = Object.values(resourcesOfType(stack, "kubernetes_manifest"))[0].manifest;
    expect(manifest.spec.secretObjects).toEqual([{ secretName: "configurable-keyvault-env", type: "Opaque", data: [{ objectName: "secret.json", key: "APP_CONFIG" }] }]);
    const container = resourcesOfType(stack, "kubernetes_deployment_v1")[0].spec.template.spec.container[0];
    expect(container.env).toContainEqual({ name: "APP_CONFIG", value_from: { secret_key_ref: { name: "configurable-keyvault-env", key: "APP_CONFIG" } } });
    // The variable changes only with a restart: a new version of the secret rolls the pods.
    expect(Object.keys(resourcesOfType(stack, "kubernetes_deployment_v1")[0].spec.template.metadata.annotations)).toContain(SECRET_VERSIONS_ANNOTATION);
  });

  test("a certificate with its key can also become a kubernetes.io/tls Secret for an ingress controller: tls.key and tls.crt from its PEM", () => {
    const config = baseConfig("dev");
    config.keyVault.secrets.push({ objectName: "web-tls", objectType: "secret", objectAlias: "tls.pem", source: { existing: true }, objectFormat: "pem", tlsSecret: "web-tls" });
    const manifest = resourcesOfType(synthProject({ dev: config }).json("app-dev"), "kubernetes_manifest")[0].manifest;
    expect(manifest.spec.secretObjects).toEqual([
      { secretName: "web-tls", type: "kubernetes.io/tls", data: [{ objectName: "tls.pem", key: "tls.key" }, { objectName: "tls.pem", key: "tls.crt" }] },
    ]);
  });

  test("with https, the app is served on 443 only, from its mounted certificate: the Service forwards 443 to the https port, the probes use HTTPS, app_url says https", () => {
    const config = baseConfig("dev");
    config.keyVault.secrets.push({ objectName: "web-tls", objectType: "secret", objectAlias: "web.pem", source: { existing: true }, objectFormat: "pem" });
    config.apps[0].https = { certificate: "web.pem" };
    const stack = synthProject({ dev: config }).json("app-dev");
    const container = resourcesOfType(stack, "kubernetes_deployment_v1")[0].spec.template.spec.container[0];
    expect(container.port).toEqual([{ name: "http", container_port: 8080 }, { name: "https", container_port: 8443 }]);
    for (const probe of [container.liveness_probe, container.readiness_probe]) expect(probe.http_get).toEqual({ path: "/", port: "https", scheme: "HTTPS" });
    expect(resourcesOfType(stack, "kubernetes_service_v1")[0].spec.port).toEqual([{ name: "https", port: 443, target_port: "https" }]);
    expect(stack.output.app_url.value).toMatch(/^\$\{try\("https:\/\/\$\{kubernetes_service_v1\./);
    // Without https, nothing of it: plain HTTP on 80, probes without a scheme.
    expect(deployment.spec.template.spec.container[0].readiness_probe.http_get).toEqual({ path: "/", port: "http" });
  });

  test("mounts the class through the CSI driver, read-only, at /app/secrets, and a small writable /tmp", () => {
    const pod = deployment.spec.template.spec;
    expect(pod.volume).toEqual([
      { name: "tmp", empty_dir: { size_limit: "64Mi" } },
      {
        name: "keyvault",
        csi: {
          driver: "secrets-store.csi.k8s.io",
          read_only: true,
          volume_attributes: { secretProviderClass: "configurable-keyvault" },
        },
      },
    ]);
    expect(pod.container).toHaveLength(1);
    expect(pod.container[0].volume_mount).toEqual([
      { name: "keyvault", mount_path: "/app/secrets", read_only: true },
      { name: "tmp", mount_path: "/tmp" },
    ]);
  });

  test("runs the configured image and replica count, created after its SecretProviderClass", () => {
    expect(text).toHaveResourceWithProperties(DEPLOYMENT, {
      spec: expect.objectContaining({ replicas: "3" }),
    });
    expect(deployment.spec.template.spec.container[0].image).toBe("sixeyed/configurable:21.04");
    expect(deployment.depends_on).toEqual([expect.stringMatching(/^kubernetes_manifest\.secret-provider-class_manifest_/)]);
  });

  test("exposes the app on port 80 through a LoadBalancer Service, mapped to the unprivileged container port", () => {
    expect(text).toHaveResourceWithProperties(SERVICE, {
      spec: expect.objectContaining({
        type: "LoadBalancer",
        selector: { app: "configurable" },
        port: [{ name: "http", port: 80, target_port: "http" }],
      }),
    });
    expect(deployment.spec.template.metadata.labels.app).toBe("configurable");
    expect(deployment.spec.template.spec.container[0].port).toEqual([{ name: "http", container_port: 8080 }]);
  });

  test("runs as an unprivileged user with a read-only root filesystem, no capabilities and the runtime's seccomp profile", () => {
    const pod = deployment.spec.template.spec;
    expect(pod.security_context).toEqual({
      run_as_non_root: true,
      run_as_user: "10001",
      run_as_group: "10001",
      fs_group: "10001",
      seccomp_profile: { type: "RuntimeDefault" },
    });
    expect(pod.container[0].security_context).toEqual({
      run_as_non_root: true,
      run_as_user: "10001",
      allow_privilege_escalation: false,
      read_only_root_filesystem: true,
      privileged: false,
      capabilities: { drop: ["ALL"] },
    });
  });

  test("sets requests, limits, probes on the named port, and the configured environment", () => {
    const container = deployment.spec.template.spec.container[0];
    expect(container.resources).toEqual({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } });
    expect(container.liveness_probe.http_get).toEqual({ path: "/", port: "http" });
    expect(container.readiness_probe.http_get).toEqual({ path: "/", port: "http" });
    expect(container.env).toEqual([{ name: "ASPNETCORE_URLS", value: "http://+:8080" }]);
  });

  test("runs under its own service account with no API token mounted", () => {
    expect(text).toHaveResourceWithProperties({ tfResourceType: "kubernetes_service_account_v1" }, {
      metadata: expect.objectContaining({ name: "configurable", namespace: "${kubernetes_namespace_v1.namespace.metadata[0].name}" }),
      automount_service_account_token: false,
    });
    const account = resourcesOfType(json, "kubernetes_service_account_v1")[0];
    expect(account.metadata.annotations).toBeUndefined();
    expect(deployment.spec.template.spec.service_account_name).toBe("${kubernetes_service_account_v1.service-account.metadata[0].name}");
    expect(deployment.spec.template.spec.automount_service_account_token).toBe(false);
  });

  test("outputs the address to browse to, or says it is pending instead of failing the plan", () => {
    expect(json.output.app_url.value).toBe(
      `\${try("http://\${kubernetes_service_v1.service.status[0].load_balancer[0].ingress[0].ip}", "pending: the LoadBalancer Service has no address yet (kubectl get service -n <namespace>)")}`,
    );
  });
});

describe("app stack with workload identity", () => {
  const project = synthProject({ prod: hardenedConfig("prod") });
  const json = project.json("app-prod");
  const spc: Json = resourcesOfType(json, "kubernetes_manifest")[0].manifest;
  const account: Json = resourcesOfType(json, "kubernetes_service_account_v1")[0];

  test("the SecretProviderClass signs in with clientID, not the nodes' identity", () => {
    expect(Object.keys(spc.spec.parameters).sort()).toEqual(["clientID", "keyvaultName", "objects", "tenantID", "usePodIdentity"]);
    expect(spc.spec.parameters.usePodIdentity).toBe("false");
  });

  test("pulls a tag-pinned image on every start, and a digest-pinned one only when missing", () => {
    const pinned = hardenedConfig("pinned");
    pinned.apps[0].image = `sixeyed/configurable:21.04@sha256:${"b".repeat(64)}`;
    const byDigest = synthProject({ pinned }).json("app-pinned");
    const container = (stack: Json) => resourcesOfType(stack, "kubernetes_deployment_v1")[0].spec.template.spec.container[0];
    expect(container(json)).toMatchObject({ image: "sixeyed/configurable:21.04", image_pull_policy: "Always" });
    expect(container(byDigest)).toMatchObject({ image: pinned.apps[0].image, image_pull_policy: "IfNotPresent" });
  });

  test("the service account carries the same client ID, and still mounts no API token", () => {
    expect(account.metadata.annotations).toEqual({ "azure.workload.identity/client-id": spc.spec.parameters.clientID });
    expect(account.automount_service_account_token).toBe(false);
  });
});

describe("rollout on secret change", () => {
  test("the annotation changes when a secret's version changes, and not otherwise", () => {
    const v1 = rolloutAnnotations({ "configurable-secrets": "v1", "db-password": "a" });
    expect(v1).toEqual({ [SECRET_VERSIONS_ANNOTATION]: "configurable-secrets=v1,db-password=a" });
    expect(rolloutAnnotations({ "configurable-secrets": "v2", "db-password": "a" })).not.toEqual(v1);
    expect(rolloutAnnotations({ "db-password": "a", "configurable-secrets": "v1" })).toEqual(v1);
    expect(rolloutAnnotations({})).toBeUndefined();
  });

  test("by default the pod template carries the managed secret's Key Vault version, read from the Key Vault stack", () => {
    const project = synthProject({ dev: baseConfig("dev") });
    const template = resourcesOfType(project.json("app-dev"), "kubernetes_deployment_v1")[0].spec.template;
    const value: string = template.metadata.annotations[SECRET_VERSIONS_ANNOTATION];
    const output = /^configurable-secrets=\$\{data\.terraform_remote_state\.[\w-]+\.outputs\.([\w-]+)\}$/.exec(value)![1];
    expect(project.json("keyvault-dev").output[output].value).toBe("${azurerm_key_vault_secret.secret-configurable-secrets.version}");
  });

  test("is off with app.rolloutOnSecretChange false, and absent when no secret is managed here", () => {
    const off = baseConfig("dev");
    off.apps[0].rolloutOnSecretChange = false;
    const existing = baseConfig("prod");
    existing.keyVault.secrets[0].source = { existing: true };
    const project = synthProject({ dev: off, prod: existing });
    for (const stack of ["app-dev", "app-prod"]) {
      expect(resourcesOfType(project.json(stack), "kubernetes_deployment_v1")[0].spec.template.metadata.annotations).toBeUndefined();
    }
  });
});

describe("kubelogin's sign-in mode, per environment (aks.kubeloginMode)", () => {
  test.each(["azurecli", "workloadidentity", "msi"])("%s: Terraform's exec asks kubelogin for a token that way", (mode) => {
    const config = baseConfig("dev");
    config.aks.kubeloginMode = mode;
    // msi signs in as the machine: a self-hosted runner on an Azure VM.
    if (mode === "msi") config.ci = { runsOn: ["self-hosted", "azure-vm"] };
    const provider = synthProject({ dev: config }).json("app-dev").provider.kubernetes[0];
    expect(provider.exec).toEqual([
      {
        api_version: "client.authentication.k8s.io/v1beta1",
        command: "kubelogin",
        args: ["get-token", "--login", mode, "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"],
      },
    ]);
  });
});
