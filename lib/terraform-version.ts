/**
 * The engine versions every stack requires (`terraform.required_version`).
 * 1.11 is the first Terraform with write-only attributes (`value_wo`), which
 * keep secret values out of plan and state. A leaf: the engine checks read it
 * without loading cdktf.
 */
export const REQUIRED_TERRAFORM = ">= 1.11.0";
