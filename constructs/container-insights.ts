import { MonitorDataCollectionRule } from "@cdktf/provider-azurerm/lib/monitor-data-collection-rule";
import { MonitorDataCollectionRuleAssociation } from "@cdktf/provider-azurerm/lib/monitor-data-collection-rule-association";
import { Construct } from "constructs";

export interface ContainerInsightsProps {
  readonly clusterName: string;
  readonly clusterId: string;
  readonly resourceGroupName: string;
  readonly location: string;
  readonly workspaceId: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** What Container Insights collects: ContainerLogV2 (not the legacy ContainerLog as well), inventory, events and metrics. */
export const CONTAINER_INSIGHTS_STREAMS = [
  "Microsoft-ContainerLogV2",
  "Microsoft-KubeEvents",
  "Microsoft-KubePodInventory",
  "Microsoft-KubeNodeInventory",
  "Microsoft-KubePVInventory",
  "Microsoft-KubeServices",
  "Microsoft-KubeMonAgentEvents",
  "Microsoft-InsightsMetrics",
  "Microsoft-ContainerInventory",
  "Microsoft-ContainerNodeInventory",
  "Microsoft-Perf",
];

/**
 * The data collection rule and its association that Container Insights needs
 * when the monitoring add-on signs in with managed identity. `az aks
 * enable-addons` creates them; through the API (Terraform) nothing does, and the
 * agent runs but sends nothing (terraform-provider-azurerm#23510). Modelled on
 * Microsoft's onboarding-msi-terraform sample.
 */
export class ContainerInsights extends Construct {
  readonly rule: MonitorDataCollectionRule;

  constructor(scope: Construct, id: string, props: ContainerInsightsProps) {
    super(scope, id);
    this.rule = new MonitorDataCollectionRule(this, "rule", {
      name: `MSCI-${props.location}-${props.clusterName}`,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      description: "Container Insights for the AKS cluster",
      destinations: { logAnalytics: [{ name: "ciworkspace", workspaceResourceId: props.workspaceId }] },
      dataFlow: [{ streams: CONTAINER_INSIGHTS_STREAMS, destinations: ["ciworkspace"] }],
      dataSources: {
        extension: [
          {
            name: "ContainerInsightsExtension",
            extensionName: "ContainerInsights",
            streams: CONTAINER_INSIGHTS_STREAMS,
            extensionJson: JSON.stringify({
              dataCollectionSettings: { interval: "1m", namespaceFilteringMode: "Off", enableContainerLogV2: true },
            }),
          },
        ],
      },
      tags: props.tags,
    });
    new MonitorDataCollectionRuleAssociation(this, "association", {
      name: "ContainerInsightsExtension",
      targetResourceId: props.clusterId,
      dataCollectionRuleId: this.rule.id,
      description: "Deleting this association stops Container Insights for the cluster.",
    });
  }
}
