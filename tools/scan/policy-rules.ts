// The security rules every environment's synthesized stacks must meet, or
// waive with a reason in config/<env>.json ("policyWaivers"). Each rule reads
// the synthesized JSON, not the config: the policy judges what Terraform would
// deploy. The config is consulted only where a rule says "where configured".
// IDs are stable: waivers and reviews refer to them.
import { READER_ROLES } from "../../config/rules";
import { POLICY_RULE_MIRRORS } from "../../config/waivers";
import { block, isDeployer, list, resolve, resourcesOf, shown, type Found, type Json, type SynthesizedEnvironment } from "./synthesized";

export interface PolicyRule {
  readonly id: string;
  /**
   * The checkov checks of the synthesized Terraform this rule mirrors: where the
   * rule holds, each of them passes (the rule may be stricter), and a stack that
   * breaks what they check breaks the rule. Proven against checkov itself by
   * npm run test:scan. Empty when checkov has no such check.
   */
  readonly checks: readonly string[];
  /** checkov's checks of Kubernetes manifests for the same thing; its Terraform scan has none for these resources. */
  readonly manifestChecks?: readonly string[];
  readonly title: string;
  /** Why it matters, in one line. */
  readonly rationale: string;
  /** One line per finding: what breaks the rule and where. Empty: the rule holds. */
  readonly evaluate: (env: SynthesizedEnvironment) => string[];
}

/** A finding when a value differs from what the rule expects. */
function verify(found: Found, attribute: string, value: Json, ok: boolean, wanted: string): string[] {
  return ok ? [] : [`${found.address}: ${attribute} = ${shown(value)}; ${wanted}`];
}

const clusters = (env: SynthesizedEnvironment) => resourcesOf(env.aks, "azurerm_kubernetes_cluster");
const vaults = (env: SynthesizedEnvironment) => resourcesOf(env.keyVault, "azurerm_key_vault");
const deployments = (env: SynthesizedEnvironment) => resourcesOf(env.app, "kubernetes_deployment_v1");

/** Runs a check on every cluster; a stack with no cluster breaks every AKS rule. */
function eachCluster(env: SynthesizedEnvironment, check: (cluster: Found) => string[]): string[] {
  const found = clusters(env);
  if (found.length === 0) return ["no azurerm_kubernetes_cluster in the AKS stack"];
  return found.flatMap(check);
}

function eachVault(env: SynthesizedEnvironment, check: (vault: Found) => string[]): string[] {
  const found = vaults(env);
  if (found.length === 0) return ["no azurerm_key_vault in the Key Vault stack"];
  return found.flatMap(check);
}

/** The pod spec of a Deployment. */
const podSpec = (deployment: Found): Json => block(block(block(deployment.body.spec).template).spec);

/** Every container (init containers too) of every Deployment, with the pod spec it runs in. */
function eachContainer(env: SynthesizedEnvironment, check: (container: Found, pod: Json) => string[]): string[] {
  const found = deployments(env);
  if (found.length === 0) return ["no kubernetes_deployment_v1 in the app stack"];
  return found.flatMap((deployment) => {
    const pod = podSpec(deployment);
    const containers = [...list(pod?.container), ...list(pod?.init_container)];
    return containers.flatMap((body, index) =>
      check({ address: `${deployment.address} container ${body?.name ?? index}`, body }, pod),
    );
  });
}

/** A container setting, falling back to the pod's where Kubernetes does. */
function podOrContainer(container: Json, pod: Json, key: string): Json {
  return block(container.security_context)?.[key] ?? block(pod?.security_context)?.[key];
}

const MIN_UID = 10000;

const aksRules: PolicyRule[] = [
  {
    id: "AKS-001",
    checks: POLICY_RULE_MIRRORS["AKS-001"],
    title: "Secrets Store CSI driver rotation is on",
    rationale: "Without rotation a changed Key Vault secret never reaches a running pod.",
    evaluate: (env) =>
      eachCluster(env, (c) => {
        const provider = block(c.body.key_vault_secrets_provider);
        return verify(c, "key_vault_secrets_provider.secret_rotation_enabled", provider?.secret_rotation_enabled, provider?.secret_rotation_enabled === true, "must be true");
      }),
  },
  {
    id: "AKS-002",
    checks: POLICY_RULE_MIRRORS["AKS-002"],
    title: "Entra ID with Azure RBAC; local accounts disabled",
    rationale: "Local accounts give a static admin credential that bypasses Entra ID, MFA and audit.",
    evaluate: (env) =>
      eachCluster(env, (c) => {
        const aad = block(c.body.azure_active_directory_role_based_access_control);
        return [
          ...verify(c, "role_based_access_control_enabled", c.body.role_based_access_control_enabled, c.body.role_based_access_control_enabled !== false, "must be true"),
          ...verify(c, "azure_active_directory_role_based_access_control.azure_rbac_enabled", aad?.azure_rbac_enabled, aad?.azure_rbac_enabled === true, "must be true"),
          ...verify(c, "local_account_disabled", c.body.local_account_disabled, c.body.local_account_disabled === true, "must be true"),
        ];
      }),
  },
  {
    id: "AKS-003",
    // Not CKV_AZURE_115 (private cluster only): authorized ranges satisfy this rule.
    checks: POLICY_RULE_MIRRORS["AKS-003"],
    title: "API server limited to authorized IP ranges, or private",
    rationale: "An API server open to the internet is one leaked token away from the whole cluster.",
    evaluate: (env) =>
      eachCluster(env, (c) => {
        if (c.body.private_cluster_enabled === true) return [];
        const ranges = list(block(c.body.api_server_access_profile)?.authorized_ip_ranges);
        const open = ranges.length === 0 || ranges.some((r) => /^0\.0\.0\.0(\/0)?$/.test(r));
        return verify(c, "api_server_access_profile.authorized_ip_ranges", ranges, !open, "set authorized IP ranges (not 0.0.0.0/0) or private_cluster_enabled");
      }),
  },
  {
    id: "AKS-004",
    checks: POLICY_RULE_MIRRORS["AKS-004"],
    title: "A network policy engine is set",
    rationale: "Without one, NetworkPolicy objects are silently ignored and every pod reaches every other.",
    evaluate: (env) =>
      eachCluster(env, (c) => {
        const policy = block(c.body.network_profile)?.network_policy;
        return verify(c, "network_profile.network_policy", policy, ["calico", "cilium", "azure"].includes(policy), 'must be "calico", "cilium" or "azure"');
      }),
  },
  {
    id: "AKS-005",
    checks: POLICY_RULE_MIRRORS["AKS-005"],
    title: "Azure Policy add-on is on",
    rationale: "Lets the organisation enforce pod security baselines on the cluster itself.",
    evaluate: (env) =>
      eachCluster(env, (c) => verify(c, "azure_policy_enabled", c.body.azure_policy_enabled, c.body.azure_policy_enabled === true, "must be true")),
  },
  {
    id: "AKS-006",
    checks: POLICY_RULE_MIRRORS["AKS-006"],
    title: "An automatic upgrade channel is set",
    rationale: "Clusters left on old patch versions miss security fixes and fall out of support.",
    evaluate: (env) =>
      eachCluster(env, (c) => {
        const channel = c.body.automatic_upgrade_channel;
        return verify(c, "automatic_upgrade_channel", channel, ["patch", "stable", "rapid", "node-image"].includes(channel), 'must be "patch", "stable", "rapid" or "node-image"');
      }),
  },
  {
    id: "AKS-007",
    checks: POLICY_RULE_MIRRORS["AKS-007"],
    title: "Monitoring to a Log Analytics workspace",
    rationale: "Without container logs and metrics an incident cannot be investigated.",
    evaluate: (env) =>
      eachCluster(env, (c) => {
        const agent = block(c.body.oms_agent);
        const workspace = agent?.log_analytics_workspace_id;
        const findings = verify(c, "oms_agent.log_analytics_workspace_id", workspace, typeof workspace === "string" && workspace !== "", "must name a Log Analytics workspace");
        // With managed identity auth the agent sends nothing until a data collection rule is associated.
        const associated = resourcesOf(env.aks, "azurerm_monitor_data_collection_rule_association").some(
          (a) => a.body.target_resource_id === `\${${c.address}.id}`,
        );
        if (agent?.msi_auth_for_monitoring_enabled === true && !associated) {
          findings.push(`${c.address}: oms_agent signs in with managed identity but no azurerm_monitor_data_collection_rule_association targets the cluster; Container Insights would collect nothing`);
        }
        return findings;
      }),
  },
  {
    id: "AKS-008",
    checks: POLICY_RULE_MIRRORS["AKS-008"],
    title: "A paid SKU tier, for the API server SLA",
    rationale: "The Free tier has no uptime SLA for the control plane.",
    evaluate: (env) =>
      eachCluster(env, (c) => verify(c, "sku_tier", c.body.sku_tier ?? "Free", ["Standard", "Premium"].includes(c.body.sku_tier), 'must be "Standard" or "Premium"')),
  },
  {
    id: "AKS-009",
    checks: POLICY_RULE_MIRRORS["AKS-009"],
    title: "System node pool runs critical add-ons only",
    rationale: "App pods on the system pool can starve CoreDNS, the CSI driver and the other add-ons.",
    evaluate: (env) =>
      eachCluster(env, (c) => {
        const value = block(c.body.default_node_pool)?.only_critical_addons_enabled;
        const userPools = resourcesOf(env.aks, "azurerm_kubernetes_cluster_node_pool").filter((p) => p.body.mode !== "System");
        return [
          ...verify(c, "default_node_pool.only_critical_addons_enabled", value, value === true, "must be true"),
          ...(value === true && userPools.length === 0 ? [`${c.address}: no user node pool; with a critical-only system pool, apps have nowhere to run`] : []),
        ];
      }),
  },
  {
    id: "AKS-010",
    // Not CKV_AZURE_117: the disk encryption set is required only where configured.
    checks: POLICY_RULE_MIRRORS["AKS-010"],
    title: "Host encryption on every pool; the disk encryption set where the config asks for one",
    rationale: "Temp disks and caches hold mounted secrets and logs; without encryption at host they are stored unencrypted.",
    evaluate: (env) =>
      eachCluster(env, (c) => {
        const aks = env.config.aks;
        const findings: string[] = [];
        const pools: Found[] = [
          { address: `${c.address} default_node_pool`, body: block(c.body.default_node_pool) },
          ...resourcesOf(env.aks, "azurerm_kubernetes_cluster_node_pool"),
        ];
        for (const pool of pools) {
          findings.push(...verify(pool, "host_encryption_enabled", pool.body?.host_encryption_enabled, pool.body?.host_encryption_enabled === true, "must be true (aks.hostEncryption)"));
        }
        if (aks.diskEncryptionSetId) {
          findings.push(...verify(c, "disk_encryption_set_id", c.body.disk_encryption_set_id, c.body.disk_encryption_set_id === aks.diskEncryptionSetId, "must be aks.diskEncryptionSetId"));
        }
        return findings;
      }),
  },
  {
    id: "AKS-011",
    checks: POLICY_RULE_MIRRORS["AKS-011"],
    title: "A cluster in a subnet you bring holds Network Contributor on it",
    rationale: "Without it the cloud controller cannot join load balancers to the subnet: LoadBalancer Services never get an address.",
    evaluate: (env) =>
      eachCluster(env, (c) => {
        const subnet = block(c.body.default_node_pool)?.vnet_subnet_id;
        if (!subnet) return [];
        const identity = `\${${c.address}.identity[0].principal_id}`;
        const granted = resourcesOf(env.aks, "azurerm_role_assignment").some(
          (r) => r.body.scope === subnet && r.body.principal_id === identity && r.body.role_definition_name === "Network Contributor",
        );
        return granted ? [] : [`${c.address}: nodes in ${shown(subnet)}, but no azurerm_role_assignment gives ${identity} "Network Contributor" on it`];
      }),
  },
];

/** Permissions each reader access-policy list may hold: reading, nothing more. */
const READ_ONLY: Record<string, readonly string[]> = {
  secret_permissions: ["Get", "List"],
  key_permissions: ["Get"],
  certificate_permissions: ["Get"],
  storage_permissions: [],
};

const keyVaultRules: PolicyRule[] = [
  {
    id: "KV-001",
    checks: POLICY_RULE_MIRRORS["KV-001"],
    title: "Purge protection is on",
    rationale: "Without it, anyone who can delete a secret or the vault can also destroy it beyond recovery.",
    evaluate: (env) =>
      eachVault(env, (v) => verify(v, "purge_protection_enabled", v.body.purge_protection_enabled, v.body.purge_protection_enabled === true, "must be true")),
  },
  {
    id: "KV-002",
    // Not CKV_AZURE_42, which asks for purge protection (KV-001), not a retention.
    checks: POLICY_RULE_MIRRORS["KV-002"],
    title: "Soft-delete retention of 90 days",
    rationale: "A deleted vault or secret stays recoverable for the longest window Azure offers.",
    evaluate: (env) =>
      eachVault(env, (v) => {
        const days = v.body.soft_delete_retention_days ?? 90;
        return verify(v, "soft_delete_retention_days", days, days >= 90, "must be 90");
      }),
  },
  {
    id: "KV-003",
    checks: POLICY_RULE_MIRRORS["KV-003"],
    title: "Vault firewall denies by default; admits only the AKS subnet and configured CIDRs",
    rationale: "A vault reachable from any network is one stolen token away from every secret.",
    evaluate: (env) =>
      eachVault(env, (v) => {
        const acls = block(v.body.network_acls);
        const findings = verify(v, "network_acls.default_action", acls?.default_action, acls?.default_action === "Deny", 'must be "Deny"');
        for (const subnet of list(acls?.virtual_network_subnet_ids)) {
          const source = resolve(env, subnet);
          if (!/^\$\{azurerm_subnet\.[\w-]+\.id\}$/.test(source)) {
            findings.push(`${v.address}: network_acls.virtual_network_subnet_ids has ${shown(source)}; only the AKS stack's subnet belongs there`);
          }
        }
        const allowed = env.config.keyVault.allowedCidrs;
        for (const rule of list(acls?.ip_rules)) {
          if (!allowed.includes(rule) || /\/(\d)$/.test(rule)) {
            findings.push(`${v.address}: network_acls.ip_rules has ${shown(rule)}; only keyVault.allowedCidrs, none wider than /10`);
          }
        }
        return findings;
      }),
  },
  {
    id: "KV-004",
    checks: POLICY_RULE_MIRRORS["KV-004"],
    title: "Vault AuditEvent logs go to the Log Analytics workspace",
    rationale: "Every read of a secret should leave a trace someone can query.",
    evaluate: (env) =>
      eachVault(env, (v) => {
        const vaultId = `\${${v.address}.id}`;
        const audited = resourcesOf(env.keyVault, "azurerm_monitor_diagnostic_setting").some((d) => {
          const logs = list(d.body.enabled_log);
          return (
            d.body.target_resource_id === vaultId &&
            typeof d.body.log_analytics_workspace_id === "string" &&
            logs.some((l) => l.category === "AuditEvent" || ["audit", "allLogs"].includes(l.category_group))
          );
        });
        return audited ? [] : [`${v.address}: no azurerm_monitor_diagnostic_setting sends its AuditEvent logs to a Log Analytics workspace`];
      }),
  },
  {
    id: "KV-005",
    checks: POLICY_RULE_MIRRORS["KV-005"],
    title: "Secrets carry a content type",
    rationale: "Readers and rotation tooling need to know how to parse a value.",
    evaluate: (env) =>
      resourcesOf(env.keyVault, "azurerm_key_vault_secret").flatMap((s) =>
        verify(s, "content_type", s.body.content_type, typeof s.body.content_type === "string" && s.body.content_type !== "", "must be set (keyVault.secrets[].contentType)"),
      ),
  },
  {
    id: "KV-006",
    // Not CKV_AZURE_41, which wants an expiry on every secret; see prod's waiver of it.
    checks: POLICY_RULE_MIRRORS["KV-006"],
    title: "Secrets carry their configured expiry",
    rationale: "A credential with an expiry forces rotation; a configured one must reach the vault.",
    evaluate: (env) => {
      const secrets = resourcesOf(env.keyVault, "azurerm_key_vault_secret");
      return env.config.keyVault.secrets.flatMap((configured) => {
        if (!configured.expiresAt) return [];
        const found = secrets.find((s) => s.body.name === configured.objectName);
        if (!found) return [];
        return verify(found, "expiration_date", found.body.expiration_date, found.body.expiration_date === configured.expiresAt, `must be ${configured.expiresAt} (keyVault.secrets[].expiresAt)`);
      });
    },
  },
  {
    id: "KV-007",
    checks: POLICY_RULE_MIRRORS["KV-007"],
    title: "The reading identity may read secrets, never write, delete or purge",
    rationale: "A pod's identity is the easiest to steal; it must not be able to change or destroy secrets.",
    evaluate: (env) => {
      const findings: string[] = [];
      for (const policy of resourcesOf(env.keyVault, "azurerm_key_vault_access_policy")) {
        if (isDeployer(policy.body.object_id, env.config.deployerObjectId)) continue;
        for (const [attribute, allowed] of Object.entries(READ_ONLY)) {
          const extra = list(policy.body[attribute]).filter((p: string) => !allowed.includes(p));
          findings.push(...verify(policy, attribute, policy.body[attribute], extra.length === 0, `a reader may hold only ${shown(allowed)}`));
        }
      }
      for (const assignment of resourcesOf(env.keyVault, "azurerm_role_assignment")) {
        if (isDeployer(assignment.body.principal_id, env.config.deployerObjectId)) continue;
        const role = assignment.body.role_definition_name;
        findings.push(...verify(assignment, "role_definition_name", role ?? assignment.body.role_definition_id, READER_ROLES.includes(role), `a reader may hold only ${shown(READER_ROLES)}`));
      }
      return findings;
    },
  },
];

const podRules: PolicyRule[] = [
  {
    id: "POD-001",
    checks: POLICY_RULE_MIRRORS["POD-001"],
    manifestChecks: ["CKV_K8S_23", "CKV_K8S_40"],
    title: `Runs as non-root, with a UID of ${MIN_UID} or more`,
    rationale: "A root process that escapes the container is root on the node; low UIDs collide with host users.",
    evaluate: (env) =>
      eachContainer(env, (c, pod) => {
        const nonRoot = podOrContainer(c.body, pod, "run_as_non_root");
        const uid = podOrContainer(c.body, pod, "run_as_user");
        return [
          ...verify(c, "security_context.run_as_non_root", nonRoot, nonRoot === true, "must be true"),
          ...verify(c, "security_context.run_as_user", uid, Number(uid) >= MIN_UID, `must be ${MIN_UID} or more`),
        ];
      }),
  },
  {
    id: "POD-002",
    checks: POLICY_RULE_MIRRORS["POD-002"],
    title: "Read-only root filesystem",
    rationale: "An attacker cannot drop tools or change the app's files; writable paths are explicit emptyDirs.",
    evaluate: (env) =>
      eachContainer(env, (c) => {
        const value = block(c.body.security_context)?.read_only_root_filesystem;
        return verify(c, "security_context.read_only_root_filesystem", value, value === true, "must be true");
      }),
  },
  {
    id: "POD-003",
    checks: POLICY_RULE_MIRRORS["POD-003"],
    title: "No privilege escalation, not privileged",
    rationale: "setuid binaries and privileged mode turn a container compromise into a node compromise.",
    evaluate: (env) =>
      eachContainer(env, (c) => {
        const context = block(c.body.security_context);
        return [
          ...verify(c, "security_context.allow_privilege_escalation", context?.allow_privilege_escalation, context?.allow_privilege_escalation === false, "must be false"),
          ...verify(c, "security_context.privileged", context?.privileged, context?.privileged !== true, "must not be true"),
        ];
      }),
  },
  {
    id: "POD-004",
    checks: POLICY_RULE_MIRRORS["POD-004"],
    title: "All Linux capabilities dropped",
    rationale: "The app needs none (it binds an unprivileged port); each kept capability is attack surface.",
    evaluate: (env) =>
      eachContainer(env, (c) => {
        const capabilities = block(block(c.body.security_context)?.capabilities);
        const drop = list(capabilities?.drop);
        const add = list(capabilities?.add);
        return [
          ...verify(c, "security_context.capabilities.drop", drop, drop.includes("ALL"), 'must include "ALL"'),
          ...verify(c, "security_context.capabilities.add", add, add.length === 0, "must be empty"),
        ];
      }),
  },
  {
    id: "POD-005",
    checks: POLICY_RULE_MIRRORS["POD-005"],
    manifestChecks: ["CKV_K8S_31"],
    title: "seccomp profile RuntimeDefault",
    rationale: "Blocks the system calls containers never need, which many kernel exploits use.",
    evaluate: (env) =>
      eachContainer(env, (c, pod) => {
        const profile = block(podOrContainer(c.body, pod, "seccomp_profile"))?.type;
        return verify(c, "security_context.seccomp_profile.type", profile, profile === "RuntimeDefault" || profile === "Localhost", 'must be "RuntimeDefault"');
      }),
  },
  {
    id: "POD-006",
    checks: POLICY_RULE_MIRRORS["POD-006"],
    title: "CPU and memory requests and limits",
    rationale: "Without them one pod can starve its node, including the CSI driver that mounts secrets.",
    evaluate: (env) =>
      eachContainer(env, (c) => {
        const resources = block(c.body.resources);
        return ["requests", "limits"].flatMap((kind) =>
          ["cpu", "memory"].flatMap((what) => {
            const value = block(resources?.[kind])?.[what];
            return verify(c, `resources.${kind}.${what}`, value, typeof value === "string" && value !== "", "must be set");
          }),
        );
      }),
  },
  {
    id: "POD-007",
    checks: POLICY_RULE_MIRRORS["POD-007"],
    title: "Liveness and readiness probes",
    rationale: "A hung pod is restarted, and a pod that is not ready gets no traffic.",
    evaluate: (env) =>
      eachContainer(env, (c) =>
        ["liveness_probe", "readiness_probe"].flatMap((probe) =>
          verify(c, probe, c.body[probe], block(c.body[probe]) !== undefined, "must be set"),
        ),
      ),
  },
  {
    id: "POD-008",
    // Not CKV_K8S_43, which wants a digest always; see prod's waiver of it.
    checks: POLICY_RULE_MIRRORS["POD-008"],
    title: "Image pinned by a fixed tag, and by digest where the config gives one",
    rationale: "A moving tag deploys code nobody reviewed; a digest cannot be repointed at all.",
    evaluate: (env) =>
      eachContainer(env, (c) => {
        const image: string = c.body.image ?? "";
        const tag = /:([\w][\w.-]*)(@sha256:[a-f0-9]{64})?$/.exec(image.replace(/^[^/]+:\d+\//, ""))?.[1];
        const wantsDigest = env.config.app.image.includes("@sha256:");
        return [
          ...verify(c, "image", image, tag !== undefined && tag !== "latest", 'must carry a fixed tag, not "latest"'),
          ...(wantsDigest ? verify(c, "image", image, image === env.config.app.image, "must carry the digest app.image gives") : []),
        ];
      }),
  },
  {
    id: "POD-009",
    checks: POLICY_RULE_MIRRORS["POD-009"],
    title: "Nothing in the default namespace",
    rationale: "The default namespace is shared by everything that forgets to set one; policies and RBAC cannot single it out.",
    evaluate: (env) => namespacedObjects(env).flatMap(({ address, namespace }) =>
      namespace === undefined || namespace === "" || namespace === "default"
        ? [`${address}: namespace = ${shown(namespace ?? "default")}; must be the app's own namespace`]
        : [],
    ),
  },
  {
    id: "POD-010",
    checks: POLICY_RULE_MIRRORS["POD-010"],
    manifestChecks: ["CKV_K8S_38"],
    title: "No Kubernetes API token mounted",
    rationale: "The app never calls the API; a mounted token is a credential for whoever breaks in. The CSI driver gets the workload identity token from the kubelet.",
    evaluate: (env) => {
      const findings = deployments(env).flatMap((d) => {
        const pod = podSpec(d);
        return verify(d, "spec.template.spec.automount_service_account_token", pod?.automount_service_account_token, pod?.automount_service_account_token === false, "must be false");
      });
      for (const account of resourcesOf(env.app, "kubernetes_service_account_v1")) {
        findings.push(...verify(account, "automount_service_account_token", account.body.automount_service_account_token, account.body.automount_service_account_token === false, "must be false"));
      }
      return findings;
    },
  },
  {
    id: "POD-011",
    checks: POLICY_RULE_MIRRORS["POD-011"],
    title: "Pods read the vault as their own workload identity, not the nodes' identity",
    rationale: "The add-on's identity sits on every node: any pod there can use it to read the vault.",
    evaluate: (env) =>
      secretProviderClasses(env).flatMap((spc) => {
        const parameters = spc.body.manifest?.spec?.parameters ?? {};
        const nodeIdentity = parameters.useVMManagedIdentity === "true" || parameters.clientID === undefined;
        return nodeIdentity
          ? [`${spc.address}: spec.parameters uses ${shown(parameters.useVMManagedIdentity === "true" ? "useVMManagedIdentity" : "no clientID")}; must use clientID of a workload identity (app.identity "workload")`]
          : [];
      }),
  },
  {
    id: "POD-012",
    checks: POLICY_RULE_MIRRORS["POD-012"],
    title: "Secrets mounted read-only",
    rationale: "The app has no business changing what Key Vault gave it.",
    evaluate: (env) =>
      deployments(env).flatMap((d) => {
        const pod = podSpec(d);
        const csiVolumes = list(pod?.volume).filter((v) => block(v.csi) !== undefined);
        return csiVolumes.flatMap((volume) => {
          const mounts = list(pod?.container).flatMap((c) => list(c.volume_mount)).filter((m) => m.name === volume.name);
          return [
            ...verify(d, `volume ${volume.name} csi.read_only`, block(volume.csi).read_only, block(volume.csi).read_only === true, "must be true"),
            ...mounts.flatMap((m) => verify(d, `volume_mount ${m.mount_path} read_only`, m.read_only, m.read_only === true, "must be true")),
          ];
        });
      }),
  },
];

function secretProviderClasses(env: SynthesizedEnvironment): Found[] {
  return resourcesOf(env.app, "kubernetes_manifest").filter((m) => m.body.manifest?.kind === "SecretProviderClass");
}

/** The namespace of every namespaced object in the app stack, references followed to the namespace's name. */
function namespacedObjects(env: SynthesizedEnvironment): { address: string; namespace: string | undefined }[] {
  const namespaceName = (value: Json): string | undefined => {
    const match = typeof value === "string" ? /^\$\{kubernetes_namespace_v1\.([\w-]+)\.metadata(?:\[0\]|\.0)\.name\}$/.exec(value) : null;
    if (!match) return value;
    return block(env.app?.resource?.kubernetes_namespace_v1?.[match[1]]?.metadata)?.name;
  };
  const types = ["kubernetes_deployment_v1", "kubernetes_service_v1", "kubernetes_service_account_v1", "kubernetes_secret_v1", "kubernetes_config_map_v1"];
  return [
    ...types.flatMap((type) =>
      resourcesOf(env.app, type).map((r) => ({ address: r.address, namespace: namespaceName(block(r.body.metadata)?.namespace) })),
    ),
    ...resourcesOf(env.app, "kubernetes_manifest").map((m) => ({ address: m.address, namespace: namespaceName(m.body.manifest?.metadata?.namespace) })),
  ];
}

/** Attribute names whose values are credentials to a cluster or to Azure. */
const CREDENTIAL_PATTERNS: [RegExp, string][] = [
  [/kube_admin_config/, "the cluster's admin kubeconfig"],
  [/kube_config_raw/, "a raw kubeconfig"],
  [/kube_config(?:\[0\]|\.0)\.(?:client_key|client_certificate|password|username)/, "kubeconfig client credentials"],
  [/"client_secret"\s*:/, "an Azure client secret"],
  [/"client_certificate_password"\s*:/, "an Azure client certificate password"],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a private key"],
];

const outputRules: PolicyRule[] = [
  {
    id: "OUT-001",
    checks: POLICY_RULE_MIRRORS["OUT-001"],
    title: "Nothing sensitive in cdktf.out",
    rationale: "cdktf.out is uploaded as a CI artifact and read in reviews; it must hold no secret values or credentials.",
    evaluate: (env) =>
      env.files.flatMap((file) => [
        ...(env.secretValues.some((value) => file.text.includes(value)) ? [`${file.path}: holds the content of a secret file`] : []),
        ...CREDENTIAL_PATTERNS.filter(([pattern]) => pattern.test(file.text)).map(([, what]) => `${file.path}: refers to ${what}`),
      ]),
  },
];

export const POLICY_RULES: readonly PolicyRule[] = [...aksRules, ...keyVaultRules, ...podRules, ...outputRules];

export { POLICY_RULE_IDS } from "../../config/waivers";
