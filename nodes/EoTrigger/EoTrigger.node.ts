import {
  NodeConnectionTypes,
  NodeOperationError,
  type IDataObject,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeDescription,
  type IPollFunctions,
} from 'n8n-workflow';
import { checkWatchSettings, newestScene, pollScenes, pollSummary, watchKey, type Scene, type WatchSettingsInput } from '../core';
import { accessFromCredentials, CREDENTIAL_TYPE } from '../n8n-shared/credentials';
import { eoCredentialTest } from '../n8n-shared/credentialTest';
import { properties } from './description';
import { triggerError } from './errors';

/** The trigger's parameters as the core's watch settings take them. */
function watchInput(ctx: IPollFunctions): WatchSettingsInput {
  const source = ctx.getNodeParameter('source') as string;
  const catalog = source === 'catalog';
  const geometry = ctx.getNodeParameter('areaType', 'bbox') === 'geometry';
  const firstPoll = ctx.getNodeParameter('firstPoll', 'remember') as string;
  return {
    source,
    collection: ctx.getNodeParameter('collection'),
    bbox: geometry ? undefined : ctx.getNodeParameter('bbox'),
    geometry: geometry ? ctx.getNodeParameter('geometry') : undefined,
    // 100 % is no limit (the core's rule): scenes without a cloud cover (radar) still match.
    maxCloudCover: ctx.getNodeParameter('maxCloudCover', 100),
    filter: catalog ? ctx.getNodeParameter('filter', '') : undefined,
    searchUrl: catalog ? undefined : ctx.getNodeParameter('searchUrl', ''),
    lookbackHours: ctx.getNodeParameter('lookbackHours'),
    firstPoll,
    since: firstPoll === 'since' ? ctx.getNodeParameter('since', '') : undefined,
  };
}

function item(scene: Scene, extra: IDataObject = {}): INodeExecutionData {
  return { json: { ...(scene as unknown as IDataObject), ...extra } };
}

/**
 * EO Trigger: starts the workflow when a new scene is published in a Sentinel Hub / CDSE Catalog
 * or a Terrascope STAC collection. The watching (look-back window, cursor, paging, who emits) is
 * the core's; the cursor lives in the workflow's static data.
 */
export class EoTrigger implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'EO Trigger',
    name: 'eoTrigger',
    icon: { light: 'file:eo.svg', dark: 'file:eo.dark.svg' },
    group: ['trigger'],
    version: 1,
    subtitle: '={{ $parameter["collection"] }}',
    description: 'Starts the workflow when a new Sentinel Hub, CDSE or Terrascope scene is published over an area',
    defaults: { name: 'EO Trigger' },
    polling: true,
    inputs: [],
    outputs: [NodeConnectionTypes.Main],
    credentials: [
      { name: 'sentinelHubApi', required: true, testedBy: 'eoCredentialTest', displayOptions: { show: { source: ['catalog'] } } },
      { name: 'terrascopeApi', required: true, testedBy: 'eoCredentialTest', displayOptions: { show: { source: ['stac'] } } },
    ],
    properties,
  };

  methods = { credentialTest: { eoCredentialTest } };

  async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
    const node = this.getNode();
    try {
      const settings = checkWatchSettings(watchInput(this));
      const type = settings.source === 'stac' ? CREDENTIAL_TYPE.terrascope : CREDENTIAL_TYPE.sentinelHub;
      const request = accessFromCredentials(type, await this.getCredentials(type));
      if (this.getMode() === 'manual') {
        // "Fetch test event": the newest matching scene, seen or not; the cursor is not touched.
        const { scene, window } = await newestScene({ ...request, settings });
        if (!scene) {
          throw new NodeOperationError(node, `No scene matches between ${window.from} and ${window.to}.`, {
            description: 'Widen the look-back window or the area, or raise the cloud-cover limit, to see a test event.',
          });
        }
        return [[item(scene)]];
      }
      const state = this.getWorkflowStaticData('node');
      const key = watchKey(settings, `${this.getWorkflow().id ?? ''}:${node.id}`);
      const result = await pollScenes({ ...request, settings, key, cursor: state.cursor });
      // Only a poll that succeeded moves the cursor: a failed one threw above and left it as it was.
      // The scenes are claimed for this process: n8n emits the items as soon as they are returned.
      state.cursor = result.cursor as unknown as IDataObject;
      if (result.scenes.length === 0) return null;
      const poll = { at: result.cursor.polledAt, ...pollSummary(result) };
      return [result.scenes.map((scene) => item(scene, { poll }))];
    } catch (err) {
      throw triggerError(node, err);
    }
  }
}
