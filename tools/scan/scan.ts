// One scan: every synthesized stack of each environment copied as checkov
// reads it (scanCopy), checkov run over each environment's folder with that
// environment's waivers, and the verdicts read back.
import * as fs from "fs";
import * as path from "path";
import type { PolicyWaiver } from "../../config/types";
import { readCheckovReport, resourceAddresses, scanCopy, scanVerdict, type CheckovRun, type ScanVerdict } from "./checkov";
import { CheckovError, runCheckov } from "./checkov-run";
import type { Json } from "./synthesized";

export interface ScanTarget {
  /** The environment, or a group name for stacks no environment owns. */
  readonly environment: string;
  readonly waivers: readonly PolicyWaiver[];
  /** Stack name -> its synthesized cdk.tf.json, parsed. */
  readonly stacks: Readonly<Record<string, Json>>;
}

/** Writes each target's copies to <workDir>/<environment>/<stack>/cdk.tf.json; returns the line-to-address map of each, by "<environment>/<stack>". */
export function writeScanCopies(workDir: string, targets: readonly ScanTarget[]): Map<string, Map<number, string>> {
  const addresses = new Map<string, Map<number, string>>();
  for (const target of targets) {
    for (const [stack, json] of Object.entries(target.stacks)) {
      const text = scanCopy(json);
      const dir = path.join(workDir, target.environment, stack);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, "cdk.tf.json"), text);
      addresses.set(`${target.environment}/${stack}`, resourceAddresses(text));
    }
  }
  return addresses;
}

const NOTHING_RUN: CheckovRun = { results: [], parsingErrors: [] };

/** Two checkov runs per environment (waived checks skipped; waived checks only), two environments at a time. */
export async function scanTargets(bin: string, workDir: string, targets: readonly ScanTarget[], log: (line: string) => void = () => undefined): Promise<ScanVerdict[]> {
  const addresses = writeScanCopies(workDir, targets);
  const scanOne = async (target: ScanTarget): Promise<ScanVerdict> => {
    const dir = path.join(workDir, target.environment);
    const addressesOf = (stack: string) => addresses.get(`${target.environment}/${stack}`) ?? new Map<number, string>();
    const waived = target.waivers.map((w) => w.rule);
    const started = Date.now();
    const [verdict, waivedOnly] = await Promise.all([
      runCheckov(bin, dir, { skip: waived }),
      waived.length > 0 ? runCheckov(bin, dir, { only: waived }) : Promise.resolve(undefined),
    ]);
    const run = readCheckovReport(verdict.report, addressesOf);
    if (run.results.length === 0 && run.parsingErrors.length === 0) {
      throw new CheckovError(`checkov ran no check on ${target.environment} (${Object.keys(target.stacks).join(", ")}): nothing was scanned`);
    }
    const result = scanVerdict(target.environment, target.waivers, run, waivedOnly ? readCheckovReport(waivedOnly.report, addressesOf) : NOTHING_RUN);
    // checkov's own exit code must tell the same story as the verdict read from its report.
    const failedByCheckov = verdict.exitCode === 1;
    if (failedByCheckov !== result.failed.length > 0) {
      throw new CheckovError(`checkov exited ${verdict.exitCode} on ${target.environment} but its report lists ${result.failed.length} unwaived failures`);
    }
    log(`checkov ${target.environment}: scanned ${Object.keys(target.stacks).length} stacks in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return result;
  };
  const verdicts: ScanVerdict[] = [];
  for (let i = 0; i < targets.length; i += 2) verdicts.push(...(await Promise.all(targets.slice(i, i + 2).map(scanOne))));
  return verdicts;
}
