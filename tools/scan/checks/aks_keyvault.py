"""This project's own checkov checks: what checkov 3.3.30 has no check for.

checkov loads this file with --external-checks-dir (npm run scan). Each check
reads one resource as checkov's terraform_json parser gives it: every value in
a list, every block a list of dicts. Waive one as any checkov check, by its ID,
in policyWaivers. The cases each one passes and fails are in
__tests__/scan/checkov.scan.test.ts (from __tests__/scan/project-checks.ts), run by checkov itself.
"""
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

MIN_UID = 10000
READ_ONLY_MOUNT_DRIVER = "secrets-store.csi.k8s.io"


def value(conf, key, default=None):
    """The scalar under key, unwrapped from checkov's one-element list."""
    found = conf.get(key) if isinstance(conf, dict) else None
    if isinstance(found, list):
        return found[0] if found else default
    return default if found is None else found


def blocks(conf, key):
    """The nested blocks under key, as a list of dicts."""
    found = conf.get(key) if isinstance(conf, dict) else None
    if isinstance(found, dict):
        return [found]
    return [b for b in (found or []) if isinstance(b, dict)]


def block(conf, key):
    found = blocks(conf, key)
    return found[0] if found else {}


def pod_spec(deployment):
    return block(block(block(deployment, "spec"), "template"), "spec")


def containers(pod):
    return blocks(pod, "container") + blocks(pod, "init_container")


def pod_or_container(container, pod, key):
    """A container's security setting, or the pod's where the container has none, as Kubernetes reads it."""
    own = value(block(container, "security_context"), key)
    return own if own is not None else value(block(pod, "security_context"), key)


def truthy(v):
    return v is True or (isinstance(v, str) and v.lower() == "true")


def verdict(ok):
    return CheckResult.PASSED if ok else CheckResult.FAILED


DEPLOYMENTS = ["kubernetes_deployment_v1", "kubernetes_deployment"]


class KeyVaultRetention(BaseResourceCheck):
    """Was KV-002. Not CKV_AZURE_42, which asks for purge protection, not for the window."""

    def __init__(self):
        super().__init__(
            name="Key Vault keeps deleted vaults and secrets recoverable for 90 days",
            id="CKV_AKSKV_1",
            categories=[CheckCategories.BACKUP_AND_RECOVERY],
            supported_resources=["azurerm_key_vault"],
        )

    def scan_resource_conf(self, conf):
        # Azure's default, when unset, is 90.
        days = value(conf, "soft_delete_retention_days", 90)
        return verdict(isinstance(days, (int, float, str)) and str(days).isdigit() and int(days) >= 90)


class RunsAsNonRootUser(BaseResourceCheck):
    """Was POD-001. checkov's CKV_K8S_23 and CKV_K8S_40 read manifests, not Terraform's Deployments."""

    def __init__(self):
        super().__init__(
            name=f"Containers run as non-root with a UID of {MIN_UID} or more",
            id="CKV_AKSKV_2",
            categories=[CheckCategories.KUBERNETES],
            supported_resources=DEPLOYMENTS,
        )

    def scan_resource_conf(self, conf):
        pod = pod_spec(conf)
        found = containers(pod)
        if not found:
            return CheckResult.FAILED

        def ok(c):
            uid = pod_or_container(c, pod, "run_as_user")
            return truthy(pod_or_container(c, pod, "run_as_non_root")) and str(uid).isdigit() and int(uid) >= MIN_UID

        return verdict(all(ok(c) for c in found))


class SeccompRuntimeDefault(BaseResourceCheck):
    """Was POD-005. checkov's CKV_K8S_31 reads manifests, not Terraform's Deployments."""

    def __init__(self):
        super().__init__(
            name="Containers run with the RuntimeDefault (or a Localhost) seccomp profile",
            id="CKV_AKSKV_3",
            categories=[CheckCategories.KUBERNETES],
            supported_resources=DEPLOYMENTS,
        )

    def scan_resource_conf(self, conf):
        pod = pod_spec(conf)
        found = containers(pod)

        def profile(c):
            own = block(block(c, "security_context"), "seccomp_profile")
            return value(own or block(block(pod, "security_context"), "seccomp_profile"), "type")

        return verdict(bool(found) and all(profile(c) in ("RuntimeDefault", "Localhost") for c in found))


class NoApiTokenMounted(BaseResourceCheck):
    """Was POD-010. checkov's CKV_K8S_38 reads manifests. The CSI driver gets the pod's token from the kubelet, not from a mount."""

    def __init__(self):
        super().__init__(
            name="No Kubernetes API token is mounted into the app's pods",
            id="CKV_AKSKV_4",
            categories=[CheckCategories.KUBERNETES],
            supported_resources=DEPLOYMENTS + ["kubernetes_service_account_v1", "kubernetes_service_account"],
        )

    def scan_resource_conf(self, conf):
        holder = pod_spec(conf) if "spec" in conf else conf
        return verdict(value(holder, "automount_service_account_token") is False or value(holder, "automount_service_account_token") == "false")


class SecretProviderClassWorkloadIdentity(BaseResourceCheck):
    """Was POD-011. The add-on's identity is on every node: any pod there can read the vault with it."""

    def __init__(self):
        super().__init__(
            name="A SecretProviderClass reads the vault as the pod's workload identity, not the nodes' identity",
            id="CKV_AKSKV_5",
            categories=[CheckCategories.IAM],
            supported_resources=["kubernetes_manifest"],
        )

    def scan_resource_conf(self, conf):
        manifest = block(conf, "manifest")
        if value(manifest, "kind") != "SecretProviderClass":
            return CheckResult.UNKNOWN
        parameters = block(block(manifest, "spec"), "parameters")
        on_nodes = truthy(value(parameters, "useVMManagedIdentity")) or not value(parameters, "clientID")
        return verdict(not on_nodes)


class SecretsMountedReadOnly(BaseResourceCheck):
    """Was POD-012. The app has no business changing what Key Vault gave it."""

    def __init__(self):
        super().__init__(
            name="Secrets Store CSI volumes, and every mount of them, are read-only",
            id="CKV_AKSKV_6",
            categories=[CheckCategories.KUBERNETES],
            supported_resources=DEPLOYMENTS,
        )

    def scan_resource_conf(self, conf):
        pod = pod_spec(conf)
        volumes = [v for v in blocks(pod, "volume") if value(block(v, "csi"), "driver") == READ_ONLY_MOUNT_DRIVER]
        if not volumes:
            return CheckResult.UNKNOWN
        names = {value(v, "name") for v in volumes}
        mounts = [m for c in containers(pod) for m in blocks(c, "volume_mount") if value(m, "name") in names]
        return verdict(all(truthy(value(block(v, "csi"), "read_only")) for v in volumes) and all(truthy(value(m, "read_only")) for m in mounts))


def too_wide(ranges, widest=10):
    """The ranges wider than /widest: a bare address is a /32; 0.0.0.0/0 is the whole internet."""
    found = []
    for r in ranges if isinstance(ranges, list) else []:
        prefix = str(r).split("/")[1] if "/" in str(r) else "32"
        if not prefix.isdigit() or int(prefix) < widest:
            found.append(r)
    return found


class VaultFirewallRangesNarrow(BaseResourceCheck):
    """Was KV-003's range part. CKV_AZURE_109 asks for a default of Deny, not what the allowed ranges are."""

    def __init__(self):
        super().__init__(
            name="The vault firewall admits no IP range wider than /10",
            id="CKV_AKSKV_7",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["azurerm_key_vault"],
        )

    def scan_resource_conf(self, conf):
        return verdict(not too_wide(value(block(conf, "network_acls"), "ip_rules", [])))


class ApiServerRangesNarrow(BaseResourceCheck):
    """Was AKS-003's range part. CKV_AZURE_6 asks for a list of ranges, not what is in it: 0.0.0.0/0 passes it."""

    def __init__(self):
        super().__init__(
            name="The API server admits no authorized IP range wider than /10",
            id="CKV_AKSKV_8",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["azurerm_kubernetes_cluster"],
        )

    def scan_resource_conf(self, conf):
        return verdict(not too_wide(value(block(conf, "api_server_access_profile"), "authorized_ip_ranges", [])))


class NoCapabilityAdded(BaseResourceCheck):
    """Was POD-004's second half. CKV_K8S_28 and CKV_K8S_37 read the drop list only, not what is added back."""

    def __init__(self):
        super().__init__(
            name="Containers add no Linux capability back",
            id="CKV_AKSKV_9",
            categories=[CheckCategories.KUBERNETES],
            supported_resources=DEPLOYMENTS,
        )

    def scan_resource_conf(self, conf):
        found = containers(pod_spec(conf))
        return verdict(all(not value(block(block(c, "security_context"), "capabilities"), "add", []) for c in found))


class AzureRbacForKubernetes(BaseResourceCheck):
    """Was AKS-002's middle part. CKV_AZURE_5 asks for Kubernetes RBAC, which stays on with Azure RBAC off."""

    def __init__(self):
        super().__init__(
            name="Kubernetes authorization is Azure RBAC with Entra ID",
            id="CKV_AKSKV_10",
            categories=[CheckCategories.IAM],
            supported_resources=["azurerm_kubernetes_cluster"],
        )

    def scan_resource_conf(self, conf):
        return verdict(truthy(value(block(conf, "azure_active_directory_role_based_access_control"), "azure_rbac_enabled")))


CHECKS = [
    KeyVaultRetention(),
    RunsAsNonRootUser(),
    SeccompRuntimeDefault(),
    NoApiTokenMounted(),
    SecretProviderClassWorkloadIdentity(),
    SecretsMountedReadOnly(),
    VaultFirewallRangesNarrow(),
    ApiServerRangesNarrow(),
    NoCapabilityAdded(),
    AzureRbacForKubernetes(),
]
