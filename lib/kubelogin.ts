// How anything here signs in to an AKS cluster: the app stack's kubernetes
// provider and `npm run verify` use the same exec credential, so what verify
// proves is what the stack's apply will do. A leaf: verify needs it without
// loading cdktf and the providers.

/** The well-known application ID of the AKS Entra ID server; kubelogin asks for tokens for it. */
export const AKS_ENTRA_SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630";

/**
 * The kubelogin login modes this project offers, and what each reads besides
 * its arguments (kubelogin's docs, "login modes"). Only modes that work in the
 * shipped workflows: `spn` needs a client secret, and this project uses none.
 */
export const KUBELOGIN_MODES = {
  /** The Azure CLI's sign-in (az login; azure/login in the workflows). */
  azurecli: { env: [] as string[], signIn: "az login (the workflows: azure/login)" },
  /** A federated token in a file: the workflows write GitHub's OIDC token there. */
  workloadidentity: {
    env: ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST"],
    signIn: "AZURE_CLIENT_ID, AZURE_TENANT_ID and a federated token in AZURE_FEDERATED_TOKEN_FILE",
  },
  /** The managed identity of the machine: a self-hosted runner on an Azure VM. */
  msi: { env: [] as string[], signIn: "the managed identity of the Azure VM this runs on (a self-hosted runner)" },
} as const;

export type KubeloginMode = keyof typeof KUBELOGIN_MODES;
export const KUBELOGIN_MODE_NAMES = Object.keys(KUBELOGIN_MODES) as [KubeloginMode, ...KubeloginMode[]];

/** Terraform signs in to the cluster the way a person does: an Entra ID token from kubelogin. */
export function kubeloginExec(mode: KubeloginMode) {
  return {
    apiVersion: "client.authentication.k8s.io/v1beta1",
    command: "kubelogin",
    args: ["get-token", "--login", mode, "--server-id", AKS_ENTRA_SERVER_ID],
  };
}
