// The apps of an environment and what each reads. apps[0] is the app that an environment
// with one `app` had: its resources keep their logical IDs and its outputs their names, so
// moving from `app` to `apps` replaces nothing. Every other app's carry its name.
import { mountsObject } from "../config/domain";
import type { AppConfig, EnvironmentConfig, SecretConfig } from "../config/types";

/** The objects an app mounts: its own and those shared with it, in config order. */
export function objectsOf(config: EnvironmentConfig, app: AppConfig): SecretConfig[] {
  return config.keyVault.secrets.filter((secret) => mountsObject(app.name, secret));
}

/** The apps that mount an object. */
export function readersOf(config: EnvironmentConfig, secret: SecretConfig): AppConfig[] {
  return config.apps.filter((app) => mountsObject(app.name, secret));
}

const isFirst = (config: EnvironmentConfig, app: AppConfig) => config.apps[0].name === app.name;

/** A logical ID of one of the app's resources: as it was for apps[0], prefixed with the app's name for the others. */
export function appLogicalId(config: EnvironmentConfig, app: AppConfig, id: string): string {
  return isFirst(config, app) ? id : `${app.name}-${id}`;
}

/** A named output of one of the app's values: as it was for apps[0], suffixed with the app's name for the others. */
export function appOutputName(config: EnvironmentConfig, app: AppConfig, name: string): string {
  return isFirst(config, app) ? name : `${name}_${app.name.replace(/-/g, "_")}`;
}

/** The app's entry by name, for tools given --app; apps[0] without one. */
export function appNamed(config: EnvironmentConfig, name: string | undefined): AppConfig | undefined {
  return name === undefined ? config.apps[0] : config.apps.find((app) => app.name === name);
}

/** The service account a workload identity is federated with (system:serviceaccount:<namespace>:<name>), and the Deployment runs as. */
export function workloadServiceAccount(app: AppConfig): { namespace: string; name: string } {
  return { namespace: app.namespace, name: app.name };
}
