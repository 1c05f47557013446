// What an environment may waive (policyWaivers): the project's own policy
// rules, each with the checkov checks it mirrors (a waived rule skips those),
// and checkov's check IDs. The rules' logic is the scanner's
// (tools/scan/policy-rules.ts); their IDs are here, so validating a config
// never loads the policy engine.

/** Each policy rule's ID and the checkov checks it mirrors. */
export const POLICY_RULE_MIRRORS: Readonly<Record<string, readonly string[]>> = {
  "AKS-001": ["CKV_AZURE_172"],
  "AKS-002": ["CKV_AZURE_5", "CKV_AZURE_141"],
  "AKS-003": ["CKV_AZURE_6"],
  "AKS-004": ["CKV_AZURE_7"],
  "AKS-005": ["CKV_AZURE_116"],
  "AKS-006": ["CKV_AZURE_171"],
  "AKS-007": ["CKV_AZURE_4"],
  "AKS-008": ["CKV_AZURE_170"],
  "AKS-009": ["CKV_AZURE_232"],
  "AKS-010": ["CKV_AZURE_227"],
  "AKS-011": [],
  "KV-001": ["CKV_AZURE_110", "CKV_AZURE_42"],
  "KV-002": [],
  "KV-003": ["CKV_AZURE_109", "CKV_AZURE_189"],
  "KV-004": [],
  "KV-005": ["CKV_AZURE_114"],
  "KV-006": [],
  "KV-007": [],
  "POD-001": [],
  "POD-002": ["CKV_K8S_22"],
  "POD-003": ["CKV_K8S_20", "CKV_K8S_16"],
  "POD-004": ["CKV_K8S_28", "CKV_K8S_37"],
  "POD-005": [],
  "POD-006": ["CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13"],
  "POD-007": ["CKV_K8S_8", "CKV_K8S_9"],
  "POD-008": ["CKV_K8S_14"],
  "POD-009": ["CKV_K8S_21"],
  "POD-010": [],
  "POD-011": [],
  "POD-012": [],
  "OUT-001": [],
};

export const POLICY_RULE_IDS: readonly string[] = Object.keys(POLICY_RULE_MIRRORS);

/** A checkov check ID: CKV_AZURE_117, CKV2_AZURE_1, CKV_K8S_22. */
export const CHECKOV_ID = /^CKV2?_[A-Z0-9]+_\d+$/;
