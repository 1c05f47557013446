// How anything here signs in to an AKS cluster: the app stack's kubernetes
// provider and `npm run verify` use the same exec credential, so what verify
// proves is what the stack's apply will do. A leaf: verify needs it without
// loading cdktf and the providers.
import type { KubeloginMode } from "../config/domain";

/** The well-known application ID of the AKS Entra ID server; kubelogin asks for tokens for it. */
export const AKS_ENTRA_SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630";

/** Terraform signs in to the cluster the way a person does: an Entra ID token from kubelogin. */
export function kubeloginExec(mode: KubeloginMode) {
  return {
    apiVersion: "client.authentication.k8s.io/v1beta1",
    command: "kubelogin",
    args: ["get-token", "--login", mode, "--server-id", AKS_ENTRA_SERVER_ID],
  };
}
