import { KeyVaultSecret } from "@cdktf/provider-azurerm/lib/key-vault-secret";
import { Fn, type ITerraformDependable, TerraformStack, Token } from "cdktf";
import { Construct } from "constructs";
import type { SecretConfig } from "../config/types";
import { secretLogicalId, secretRevisionLogicalId } from "../lib/names";
import { TerraformData } from "../lib/terraform-data";

export interface VaultSecretsProps {
  readonly vaultId: string;
  /** The vault's objects: those with a `file` source are uploaded, the `existing` ones left alone. */
  readonly secrets: readonly SecretConfig[];
  /** The path back to the project root from where Terraform runs the stack: secret files are read from there. */
  readonly rootFromStackDir: string;
  /** What lets Terraform write secrets: created first, destroyed last. */
  readonly writeAccess: ITerraformDependable;
}

/**
 * A secret read from a file at apply time. The value goes through the write-only argument (never in
 * plan or state). Its version must change with the content yet tell nothing about it: a revision
 * (terraform_data) is replaced whenever the file's SHA-256 changes, and the version is 32 bits of the
 * revision's random ID. The hash sits in the revision's state marked sensitive, so no plan text, PR
 * comment or job summary shows it; the version shown is random.
 */
export function fileSecret(scope: Construct, objectName: string, pathFromStackDir: string): { value: string; version: number } {
  const content = Fn.file(pathFromStackDir);
  const revision = new TerraformData(scope, secretRevisionLogicalId(objectName), { triggersReplace: { content: Fn.sensitive(Fn.sha256(content)) } });
  return {
    value: Fn.sensitive(content),
    version: Token.asNumber(Fn.parseint(Fn.substr(Fn.replace(revision.id, "-", ""), 0, 8), 16)),
  };
}

/**
 * The secrets Terraform manages: each `file` object uploaded through `value_wo`, with a version that
 * follows the file's content. Its resources sit at the stack's scope, so their addresses (and state)
 * are the stack's (the logical-ID pins guard them).
 */
export class VaultSecrets extends Construct {
  /** objectName -> the uploaded secret. */
  readonly byName = new Map<string, KeyVaultSecret>();

  constructor(scope: Construct, id: string, props: VaultSecretsProps) {
    super(scope, id);
    const stack = TerraformStack.of(this);
    for (const secret of props.secrets) {
      if (secret.source.kind !== "file") continue;
      const { value, version } = fileSecret(stack, secret.objectName, `${props.rootFromStackDir}/${secret.source.file}`);
      this.byName.set(
        secret.objectName,
        new KeyVaultSecret(stack, secretLogicalId(secret.objectName), {
          name: secret.objectName,
          keyVaultId: props.vaultId,
          valueWo: value,
          valueWoVersion: version,
          contentType: secret.contentType,
          expirationDate: secret.expiresAt,
          // Destroy deletes (and purges) secrets while Terraform still has the
          // permission to; without this the policy may go first and the destroy 403s.
          dependsOn: [props.writeAccess],
        }),
      );
    }
  }
}
