// The review's comparison, the pull request comment and the plan summaries,
// on small hand-made stacks: no synth, no git, no Terraform.
import { deployOrder, reviewChanges, type Json, type SynthesizedProject } from "../../tools/review/diff";
import { COMMENT_MARKER, GITHUB_COMMENT_LIMIT, renderComment } from "../../tools/review/comment";
import { renderReview, SECURITY_HEADING } from "../../tools/review/markdown";
import { planEnvironments, summarizePlan, type PlanSummary } from "../../tools/review/plan";

function project(stacks: Record<string, Json>, configs: Record<string, Json> = {}): SynthesizedProject {
  return { stacks: new Map(Object.entries(stacks)), configs: new Map(Object.entries(configs)) };
}

const vault = (extra: Json = {}) => ({
  "//": { metadata: { path: "keyvault-dev/vault" } },
  name: "kv-dev",
  purge_protection_enabled: true,
  network_acls: { default_action: "Deny", ip_rules: ["198.18.0.7"] },
  ...extra,
});

describe("reviewChanges", () => {
  test("reports the security-relevant changes, most serious first", () => {
    const base = project({
      "keyvault-dev": { resource: { azurerm_key_vault: { vault: vault() } } },
      "app-dev": {
        resource: {
          kubernetes_deployment_v1: { deployment: { spec: { template: { spec: { container: [{ security_context: { read_only_root_filesystem: true } }] } } } } },
        },
      },
    });
    const head = project(
      {
        "keyvault-dev": {
          resource: {
            azurerm_key_vault: { vault: vault({ purge_protection_enabled: false, network_acls: { default_action: "Allow", ip_rules: ["198.18.0.7", "0.0.0.0/0"] } }) },
            azurerm_role_assignment: { extra: { role_definition_name: "Key Vault Secrets Officer" } },
          },
        },
        "app-dev": {
          resource: {
            kubernetes_deployment_v1: { deployment: { spec: { template: { spec: { container: [{ security_context: { read_only_root_filesystem: false } }] } } } } },
            kubernetes_service_v1: { web: { spec: { type: "LoadBalancer" } } },
          },
        },
      },
      { dev: { policyWaivers: [{ rule: "CKV_AZURE_110", reason: "we need to purge the vault" }] } },
    );
    const review = reviewChanges(base, head);
    expect(review.security).toEqual([
      "**Protection disabled**: `azurerm_key_vault.vault` in `keyvault-dev` `purge_protection_enabled` true → false.",
      "**Protection disabled**: `kubernetes_deployment_v1.deployment` in `app-dev` `spec.template.spec.container[0].security_context.read_only_root_filesystem` true → false.",
      "**Access granted**: new role assignment `azurerm_role_assignment.extra` in `keyvault-dev`.",
      '**Public exposure**: `azurerm_key_vault.vault` in `keyvault-dev` firewall `network_acls.default_action` "Deny" → "Allow".',
      "**Public exposure**: `azurerm_key_vault.vault` in `keyvault-dev` admits 0.0.0.0/0 (`network_acls.ip_rules`).",
      "**Public exposure**: new LoadBalancer service `kubernetes_service_v1.web` in `app-dev`.",
      '**Policy waiver added** in `config/dev.json`: CKV_AZURE_110 ("we need to purge the vault").',
    ]);
    expect(review.destructive).toBe(false);
  });

  test("a stateful resource whose logical ID changes is destroyed, not renamed", () => {
    const base = project({ "keyvault-dev": { resource: { azurerm_key_vault: { vault: vault() } } } });
    const head = project({ "keyvault-dev": { resource: { azurerm_key_vault: { "key-vault": vault() } } } });
    const review = reviewChanges(base, head);
    expect(review.destructive).toBe(true);
    expect(review.security).toEqual([
      "**Destructive**: this destroys `azurerm_key_vault.vault` in `keyvault-dev`: the vault and every secret in it are deleted; soft delete keeps the old name reserved.",
    ]);
    expect(review.environments.get("dev")![0].resources.map((r) => `${r.action} ${r.address}`)).toEqual([
      "add azurerm_key_vault.key-vault",
      "destroy azurerm_key_vault.vault",
    ]);
  });

  test("masks secret-looking attributes and ignores cdktf's metadata", () => {
    const secret = (value: string, path: string) => ({ "//": { metadata: { path } }, name: "s", value });
    const review = reviewChanges(
      project({ "keyvault-dev": { resource: { azurerm_key_vault_secret: { s: secret("old-password", "a") } } } }),
      project({ "keyvault-dev": { resource: { azurerm_key_vault_secret: { s: secret("new-password", "b") } } } }),
    );
    const markdown = renderReview(review, "main");
    expect(markdown).toContain("| ~ change | `azurerm_key_vault_secret.s` | `value`: `(sensitive)` → `(sensitive)` |");
    expect(markdown).not.toMatch(/password|metadata/);
  });

  test("reports changed cross-stack wiring", () => {
    const review = reviewChanges(
      project({ "aks-dev": { output: { "cross-stack-output-a": { value: "${azurerm_kubernetes_cluster.cluster.id}" } } } }),
      project({ "aks-dev": { output: { "cross-stack-output-b": { value: "${azurerm_user_assigned_identity.app-identity.client_id}" } } } }),
    );
    expect(review.environments.get("dev")![0].wiring).toEqual([
      "no longer passes on `${azurerm_kubernetes_cluster.cluster.id}` (output `cross-stack-output-a`)",
      "passes on `${azurerm_user_assigned_identity.app-identity.client_id}` (output `cross-stack-output-b`)",
    ]);
  });

  test("orders stacks for deploy from the manifest: upstream first", () => {
    const manifest = {
      stacks: {
        "app-dev": { dependencies: ["keyvault-dev", "aks-dev"] },
        "aks-dev": { dependencies: [] },
        "keyvault-dev": { dependencies: ["aks-dev"] },
      },
    };
    expect(deployOrder(manifest)).toEqual(["aks-dev", "keyvault-dev", "app-dev"]);
  });
});

describe("the pull request comment", () => {
  const plans: PlanSummary[] = [
    { stack: "aks-dev", status: "changes", add: 1, change: 0, replace: 0, destroy: 0, upstreamPending: false },
    { stack: "keyvault-dev", status: "no-changes", add: 0, change: 0, replace: 0, destroy: 0, upstreamPending: true },
    { stack: "app-dev", status: "failed", add: 0, change: 0, replace: 0, destroy: 0, upstreamPending: true, error: "Error: Unable to find remote state" },
  ];
  const security = `${SECURITY_HEADING}\n\n- **Destructive**: this destroys \`azurerm_key_vault.vault\`.\n`;
  const details = Array.from({ length: 5000 }, (_, i) => `| ~ change | \`azurerm_thing.t${i}\` | \`attribute\`: \`"a"\` → \`"b"\` |`).join("\n");
  const huge = `## Infrastructure review\n\nCompared with \`main\`: lots.\n\n${security}\n### dev\n\n${details}\n`;

  test("starts with the marker, then a plan table marking stacks planned against deployed upstream outputs", () => {
    const body = renderComment({ review: "## Infrastructure review\n\nNo changes.\n", plans });
    expect(body.split("\n").slice(0, 7)).toEqual([
      COMMENT_MARKER,
      "",
      "| Stack | Plan | Add | Change | Replace | Destroy |",
      "| --- | --- | ---: | ---: | ---: | ---: |",
      "| `aks-dev` | changes | 1 | 0 | 0 | 0 |",
      "| `keyvault-dev` | planned against the deployed upstream outputs (its upstream stack has pending changes) | 0 | 0 | 0 | 0 |",
      "| `app-dev` | failed: Error: Unable to find remote state | - | - | - | - |",
    ]);
  });

  test("without plans, says why", () => {
    const body = renderComment({ review: "R\n", plans: [], noPlanReason: "pull requests from forks get no Azure credentials" });
    expect(body).toBe(`${COMMENT_MARKER}\n\nNo Terraform plan: pull requests from forks get no Azure credentials. The offline review below needs no credentials.\n\nR\n`);
  });

  test("stays under GitHub's limit, keeps the security section, points to the artifact, and is the same for the same input", () => {
    expect(huge.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT);
    const input = { review: huge, plans, artifactUrl: "https://github.com/o/r/actions/runs/1" };
    const body = renderComment(input);
    expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(body).toContain(security.trim());
    expect(body).toMatch(/_Truncated: \d+ more characters did not fit in a comment\. The full review and every plan are in the \[plan-review artifact\]\(https:\/\/github\.com\/o\/r\/actions\/runs\/1\)\._\n$/);
    expect(renderComment(input)).toBe(body);
    const cutLine = body.split("\n").filter((l) => l.startsWith("| ~ change")).pop()!;
    expect(cutLine).toMatch(/\|$/);
  });

  test("lists checkov's failures and stale waivers on the head after the plans, before the review; or says there are none", () => {
    const result = { check: "CKV_K8S_43", title: "Image should use digest", stack: "app-prod", address: "kubernetes_deployment_v1.deployment", passed: false };
    const verdict = { environment: "prod", passed: 57, failed: [result], waived: [], stale: [{ rule: "CKV_AZURE_8", reason: "left over from an older cluster" }], parsingErrors: [] };
    const body = renderComment({ review: "REVIEW\n", plans: [], scan: { checkovVersion: "3.3.30", verdicts: [verdict], failed: true } });
    const section = body.slice(body.indexOf("### checkov"), body.indexOf("REVIEW"));
    expect(section.trim().split("\n")).toEqual([
      "### checkov 3.3.30",
      "",
      "Failures no waiver covers (prod 57 passed, 0 waived):",
      "- **CKV_K8S_43** `kubernetes_deployment_v1.deployment` in `app-prod`: Image should use digest",
      "- **Stale waiver** CKV_AZURE_8 in `config/prod.json`: it passes now; remove the waiver.",
    ]);
    const clean = renderComment({ review: "R\n", plans: [], scan: { checkovVersion: "3.3.30", verdicts: [{ ...verdict, failed: [], stale: [] }], failed: false } });
    expect(clean).toContain("### checkov 3.3.30\n\nNo failure outside the waivers (prod 57 passed, 0 waived).\n");
  });

  test("a body that fits is left whole", () => {
    const review = "## Infrastructure review\n\nsmall\n";
    expect(renderComment({ review, plans: [] })).toContain(review);
  });
});

describe("plan summaries", () => {
  const plan = (...actions: string[][]) => ({ resource_changes: actions.map((a, i) => ({ address: `r.${i}`, change: { actions: a } })) });

  test("count adds, changes, replacements and destroys from terraform show -json; no-ops and reads are not changes", () => {
    expect(summarizePlan("s", plan(["create"], ["update"], ["delete", "create"], ["create", "delete"], ["delete"], ["no-op"], ["read"]), false)).toEqual({
      stack: "s",
      status: "changes",
      add: 1,
      change: 1,
      replace: 2,
      destroy: 1,
      upstreamPending: false,
    });
    expect(summarizePlan("s", plan(["no-op"]), false).status).toBe("no-changes");
  });

  const manifest = {
    stacks: {
      "aks-dev": { dependencies: [] },
      "keyvault-dev": { dependencies: ["aks-dev"] },
      "app-dev": { dependencies: ["aks-dev", "keyvault-dev"] },
      "aks-prod": { dependencies: [] },
    },
  };

  test("plans the chosen environments upstream first and marks stacks whose upstream has pending changes", () => {
    const planned: string[] = [];
    const summaries = planEnvironments(manifest, ["dev"], {
      plan: (stack) => {
        planned.push(stack);
        if (stack === "app-dev") throw new Error("Error: Unable to find remote state\nmore text");
        return stack === "aks-dev" ? plan(["update"]) : plan(["no-op"]);
      },
    });
    expect(planned).toEqual(["aks-dev", "keyvault-dev", "app-dev"]);
    expect(summaries.map((s) => [s.stack, s.status, s.upstreamPending, s.error])).toEqual([
      ["aks-dev", "changes", false, undefined],
      ["keyvault-dev", "no-changes", true, undefined],
      ["app-dev", "failed", true, "Error: Unable to find remote state"],
    ]);
  });

  test("a stack that reads an output its upstream gets only from its pending apply waits for it, by name, and is no failure", () => {
    // Terraform's message when keyvault-dev's state lacks a new app's identity output (one line, as the runner joins it).
    const unsupported =
      'Error: Unsupported attribute on cdk.tf.json line 63, in resource "azurerm_role_assignment" "billing-reads-db": 63: "principal_id": "${data.terraform_remote_state.cross-stack-reference-input-aks-dev.outputs.cross-stack-output-azurerm_user_assigned_identitybilling-app-identityprincipal_id}", ' +
      'data.terraform_remote_state.cross-stack-reference-input-aks-dev.outputs is object with 9 attributes This object does not have an attribute named "cross-stack-output-azurerm_user_assigned_identitybilling-app-identityprincipal_id".';
    const summaries = planEnvironments(manifest, ["dev"], {
      plan: (stack) => {
        if (stack === "keyvault-dev") throw new Error(unsupported);
        return stack === "aks-dev" ? plan(["create"]) : plan(["no-op"]);
      },
    });
    expect(summaries.find((s) => s.stack === "keyvault-dev")).toMatchObject({
      status: "waits",
      error: "waits for aks-dev's apply: its state has no output cross-stack-output-azurerm_user_assigned_identitybilling-app-identityprincipal_id yet, so this stack is planned after that apply (the deploy does so in order)",
    });
    // With nothing pending upstream, the same error is a real failure.
    const alone = planEnvironments(manifest, ["dev"], { plan: (stack) => (stack === "keyvault-dev" ? (() => { throw new Error(unsupported); })() : plan(["no-op"])) });
    expect(alone.find((s) => s.stack === "keyvault-dev")?.status).toBe("failed");
  });

  test("planned in two runs (upstream kinds, then the app after a fresh sign-in), the app still knows its upstream is pending", () => {
    const first = planEnvironments(manifest, ["dev"], { plan: (stack) => (stack === "aks-dev" ? plan(["update"]) : plan(["no-op"])) }, { kinds: ["aks", "keyvault"] });
    expect(first.map((s) => s.stack)).toEqual(["aks-dev", "keyvault-dev"]);
    const planned: string[] = [];
    const all = planEnvironments(manifest, ["dev"], { plan: (stack) => (planned.push(stack), plan(["no-op"])) }, { kinds: ["app"], earlier: first });
    expect(planned).toEqual(["app-dev"]);
    expect(all.map((s) => [s.stack, s.upstreamPending])).toEqual([["aks-dev", false], ["keyvault-dev", true], ["app-dev", true]]);
  });

  test("an environment with no pending upstream changes marks nothing", () => {
    const summaries = planEnvironments(manifest, ["dev"], { plan: () => plan(["no-op"]) });
    expect(summaries.every((s) => !s.upstreamPending && s.status === "no-changes")).toBe(true);
  });
});
