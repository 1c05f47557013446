import { FederatedIdentityCredential } from "@cdktf/provider-azurerm/lib/federated-identity-credential";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { federatedCredentialName } from "../lib/names";

export interface WorkloadIdentityProps {
  /** The identity's name in Azure. */
  readonly name: string;
  readonly location: string;
  readonly resourceGroupName: string;
  readonly clusterName: string;
  /** The cluster's OIDC issuer: only tokens it issues count. */
  readonly issuer: string;
  /** The one service account whose tokens may act as the identity. */
  readonly serviceAccount: { readonly namespace: string; readonly name: string };
  /** The identity's and its federated credential's logical IDs (apps[0]'s as the one-app stack had them). */
  readonly logicalIds: { readonly identity: string; readonly federation: string };
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * A user-assigned identity for one app, federated with that app's service account only. Its
 * resources sit at the stack's scope, so their addresses (and state) are the stack's: a new
 * identity would have a new client ID (the logical-ID pins guard them).
 */
export class WorkloadIdentity extends Construct {
  /** For the SecretProviderClass and the service account's annotation. */
  readonly clientId: string;
  /** For access policies and role assignments. */
  readonly objectId: string;

  constructor(scope: Construct, id: string, props: WorkloadIdentityProps) {
    super(scope, id);
    const stack = TerraformStack.of(this);
    const { serviceAccount } = props;
    const identity = new UserAssignedIdentity(stack, props.logicalIds.identity, {
      name: props.name,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      tags: props.tags,
    });
    // Only tokens for this one service account, issued by this cluster, can act as the identity.
    new FederatedIdentityCredential(stack, props.logicalIds.federation, {
      name: federatedCredentialName(props.clusterName, serviceAccount.namespace, serviceAccount.name),
      resourceGroupName: props.resourceGroupName,
      parentId: identity.id,
      issuer: props.issuer,
      subject: `system:serviceaccount:${serviceAccount.namespace}:${serviceAccount.name}`,
      audience: ["api://AzureADTokenExchange"],
    });
    this.clientId = identity.clientId;
    this.objectId = identity.principalId;
  }
}
