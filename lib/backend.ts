import { AzurermBackend, LocalBackend, type TerraformStack } from "cdktf";
import type { BackendConfig } from "../config/types";
import { REQUIRED_TERRAFORM } from "./terraform-version";

export interface StateProps {
  /** Shared state in an Azure storage account; local files when absent. */
  readonly backend?: BackendConfig;
  /**
   * The project root as seen from the directory Terraform runs in
   * (cdktf.out/stacks/<stack>), e.g. "../../..". Relative, so the synthesized
   * JSON is the same on every machine and in every CI checkout.
   */
  readonly rootFromStackDir: string;
}

/**
 * Pins the Terraform version and configures where a stack keeps its state. cdktf reads cross-stack references
 * through the producing stack's backend, so consumers read from the same place.
 */
export function configureState(stack: TerraformStack, props: StateProps): void {
  const name = stack.node.id;
  stack.addOverride("terraform.required_version", REQUIRED_TERRAFORM);
  if (props.backend) {
    new AzurermBackend(stack, {
      resourceGroupName: props.backend.resourceGroupName,
      storageAccountName: props.backend.storageAccountName,
      containerName: props.backend.containerName,
      key: `${name}.tfstate`,
      // Entra ID instead of storage account keys: no shared key in anyone's environment.
      useAzureadAuth: true,
    });
  } else {
    // cdktf's default is an absolute path of the machine that synthesized.
    new LocalBackend(stack, { path: `${props.rootFromStackDir}/terraform.${name}.tfstate` });
  }
}
