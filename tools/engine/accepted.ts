// The one place where an engine diagnostic is accepted instead of failing
// `npm run validate`, each with its reason. Everything not matched here fails:
// errors always, and warnings (deprecations) too.

export interface AcceptedDiagnostic {
  readonly severity: "error" | "warning";
  /** The resource or block the diagnostic is about, as the engine names it (e.g. "resource.azurerm_subnet.aks-subnet"). */
  readonly context: RegExp;
  /** The diagnostic's summary, or summary and detail together. */
  readonly message: RegExp;
  /**
   * "stand-in": only while the mirror holds a stand-in for the pinned
   * provider (the diagnostic is a difference between the two versions, not a
   * fault of the stacks); "always": whatever provider version is installed.
   */
  readonly when: "stand-in" | "always";
  readonly reason: string;
}

export const ACCEPTED_DIAGNOSTICS: readonly AcceptedDiagnostic[] = [];

export interface EngineDiagnostic {
  readonly severity: "error" | "warning";
  readonly summary: string;
  readonly detail?: string;
  readonly address?: string;
  readonly snippet?: { readonly context?: string; readonly code?: string };
}

/** Where a diagnostic points: the engine's block path, else the resource address. */
export function diagnosticContext(diagnostic: EngineDiagnostic): string {
  return diagnostic.snippet?.context ?? diagnostic.address ?? "";
}

/** The provider a block belongs to, by its type's prefix ("resource.azurerm_subnet.x" -> "azurerm"). */
export function providerOf(context: string): string | undefined {
  return /^(?:resource|data|provider)\.\[?"?([a-z0-9]+)/.exec(context)?.[1];
}

/**
 * The entry that accepts a diagnostic, if any. `standIns` names the providers
 * the mirror holds a stand-in for; "stand-in" entries apply to those only.
 */
export function acceptedBy(
  diagnostic: EngineDiagnostic,
  standIns: ReadonlySet<string>,
  accepted: readonly AcceptedDiagnostic[] = ACCEPTED_DIAGNOSTICS,
): AcceptedDiagnostic | undefined {
  const context = diagnosticContext(diagnostic);
  const provider = providerOf(context);
  const message = `${diagnostic.summary} ${diagnostic.detail ?? ""}`;
  return accepted.find(
    (a) =>
      a.severity === diagnostic.severity &&
      (a.when === "always" || (provider !== undefined && standIns.has(provider))) &&
      a.context.test(context) &&
      a.message.test(message),
  );
}
