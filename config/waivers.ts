// What an environment may waive (policyWaivers): checkov check IDs, checkov's
// own and this project's custom checks (tools/scan/checks/, CKV_AKSKV_n and
// CKV2_AKSKV_n). Here, not in the scanner, so validating a config never loads it.

/** A checkov check ID: CKV_AZURE_117, CKV2_AZURE_1, CKV_K8S_22, CKV_AKSKV_1. */
export const CHECKOV_ID = /^CKV2?_[A-Z0-9]+_\d+$/;

/**
 * The project's own rule IDs before checkov ran them all, with the checks that took their place: a
 * waiver that still names one is refused with what to waive instead. Those with none became
 * assertions the stacks always meet (the stack tests in __tests__/stacks/), so nothing is left to waive.
 */
export const RETIRED_RULES: Readonly<Record<string, readonly string[]>> = {
  "AKS-001": ["CKV_AZURE_172"],
  "AKS-002": ["CKV_AZURE_5", "CKV_AZURE_141", "CKV_AKSKV_10"],
  "AKS-003": ["CKV_AZURE_6", "CKV_AKSKV_8"],
  "AKS-004": ["CKV_AZURE_7"],
  "AKS-005": ["CKV_AZURE_116"],
  "AKS-006": ["CKV_AZURE_171"],
  "AKS-007": ["CKV_AZURE_4"],
  "AKS-008": ["CKV_AZURE_170"],
  "AKS-009": ["CKV_AZURE_232"],
  "AKS-010": ["CKV_AZURE_227"],
  "AKS-011": [],
  "KV-001": ["CKV_AZURE_110", "CKV_AZURE_42"],
  "KV-002": ["CKV_AKSKV_1"],
  "KV-003": ["CKV_AZURE_109", "CKV_AZURE_189", "CKV_AKSKV_7"],
  "KV-004": ["CKV2_AKSKV_1"],
  "KV-005": ["CKV_AZURE_114"],
  "KV-006": [],
  "KV-007": [],
  "POD-001": ["CKV_AKSKV_2"],
  "POD-002": ["CKV_K8S_22"],
  "POD-003": ["CKV_K8S_20", "CKV_K8S_16"],
  "POD-004": ["CKV_K8S_28", "CKV_K8S_37", "CKV_AKSKV_9"],
  "POD-005": ["CKV_AKSKV_3"],
  "POD-006": ["CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13"],
  "POD-007": ["CKV_K8S_8", "CKV_K8S_9"],
  "POD-008": ["CKV_K8S_14"],
  "POD-009": ["CKV_K8S_21"],
  "POD-010": ["CKV_AKSKV_4"],
  "POD-011": ["CKV_AKSKV_5"],
  "POD-012": ["CKV_AKSKV_6"],
  "OUT-001": [],
};
