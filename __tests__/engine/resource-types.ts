// What cdktf's matchers need to find a resource, provider or data source: its
// Terraform type. Named here instead of importing the provider classes, so no
// test file loads provider modules (the synth does, once per worker).
const type = (tfResourceType: string) => ({ tfResourceType });

export const RESOURCE_GROUP = type("azurerm_resource_group");
export const KUBERNETES_CLUSTER = type("azurerm_kubernetes_cluster");
export const ROLE_ASSIGNMENT = type("azurerm_role_assignment");
export const KEY_VAULT = type("azurerm_key_vault");
export const KEY_VAULT_SECRET = type("azurerm_key_vault_secret");
export const KUBERNETES_PROVIDER = type("kubernetes");
export const NAMESPACE = type("kubernetes_namespace_v1");
export const DEPLOYMENT = type("kubernetes_deployment_v1");
export const SERVICE = type("kubernetes_service_v1");
