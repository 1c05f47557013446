import { TerraformResource, type TerraformResourceConfig } from "cdktf";
import type { Construct } from "constructs";

export interface TerraformDataConfig extends Pick<TerraformResourceConfig, "dependsOn" | "provisioners"> {
  /** Stored in state; a change replaces the resource (and so reruns its provisioners). */
  readonly triggersReplace: Record<string, string>;
}

/**
 * Terraform's built-in `terraform_data`. cdktf's own DataResource runs `terraform version` at every synth
 * to check for Terraform >= 1.4: that costs synth time, and fails where no `terraform` is installed or the
 * engine is OpenTofu under TERRAFORM_BINARY_NAME. Every engine the toolchain pins is >= 1.4.
 */
export class TerraformData extends TerraformResource {
  private readonly triggers: Record<string, string>;

  constructor(scope: Construct, id: string, config: TerraformDataConfig) {
    super(scope, id, { terraformResourceType: "terraform_data", terraformGeneratorMetadata: { providerName: "terraform" }, dependsOn: config.dependsOn, provisioners: config.provisioners });
    this.triggers = config.triggersReplace;
  }

  /** A random UUID, new whenever the resource is replaced. */
  get id(): string {
    return this.getStringAttribute("id");
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return { triggers_replace: this.triggers };
  }
}
