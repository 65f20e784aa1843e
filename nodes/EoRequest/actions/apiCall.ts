/**
 * "Custom API Call" for both resources: any method and path under the credentials' base URL (or
 * an allowed origin), with the token, retries and redirect policy of the other operations.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { fileNameFromUrl, mediaTypeOf, methodSendsBody, REQUEST_METHODS, safeUrl, userHeaders } from '../../core';
import { apiRequest, eoContext, type EoResource } from '../transport';
import { jsonParameter } from '../helpers/inputs';
import { inputError } from '../helpers/errors';
import { binaryFieldProperty, showFor } from './commonFields';
import type { Operation } from './types';

const OPERATION = 'apiCall';

function fields(resource: EoResource, examplePath: string): INodeProperties[] {
  const show = showFor(resource, OPERATION);
  return [
    {
      displayName: 'Method',
      name: 'method',
      type: 'options',
      default: 'GET',
      displayOptions: show,
      // n8n lists options alphabetically.
      options: [...REQUEST_METHODS].sort().map((m) => ({ name: m, value: m })),
    },
    {
      displayName: 'URL',
      name: 'url',
      type: 'string',
      default: '',
      required: true,
      placeholder: examplePath,
      description: 'A path under the API base URL of the credentials, or an absolute URL on an allowed origin',
      displayOptions: show,
    },
    {
      displayName: 'Body (JSON)',
      name: 'bodyJson',
      type: 'json',
      default: '',
      description: 'JSON request body; leave empty for none',
      displayOptions: showFor(resource, OPERATION, { method: REQUEST_METHODS.filter(methodSendsBody) }),
    },
    {
      displayName: 'Headers (JSON)',
      name: 'headersJson',
      type: 'json',
      default: '',
      placeholder: '{"accept": "image/tiff"}',
      description: 'Extra request headers (Authorization is set for you)',
      displayOptions: show,
    },
    {
      displayName: 'Response Format',
      name: 'responseFormat',
      type: 'options',
      default: 'json',
      displayOptions: show,
      options: [
        { name: 'File', value: 'file' },
        { name: 'JSON', value: 'json' },
        { name: 'Text', value: 'text' },
      ],
    },
    binaryFieldProperty('the response', showFor(resource, OPERATION, { responseFormat: ['file'] })),
  ];
}

/** The custom API call operation of `resource`. */
export function apiCallOperation(resource: EoResource, examplePath: string): Operation {
  return {
    description: fields(resource, examplePath),
    async execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
      const method = String(this.getNodeParameter('method', itemIndex));
      const url = String(this.getNodeParameter('url', itemIndex, '')).trim();
      if (url === '') throw inputError(this.getNode(), itemIndex, 'URL', 'is empty: enter a path such as ' + examplePath + '.');
      const body = methodSendsBody(method) ? jsonParameter(this, 'bodyJson', 'Body (JSON)', itemIndex) : undefined;
      // Checked by the core, which names the header; a typed Authorization is dropped by the request loop.
      const headers = userHeaders(jsonParameter(this, 'headersJson', 'Headers (JSON)', itemIndex) ?? {});
      const format = String(this.getNodeParameter('responseFormat', itemIndex));
      const eo = await eoContext(this, resource, itemIndex);
      const res = await apiRequest(eo, {
        method,
        url,
        body,
        headers,
        responseType: format === 'file' ? 'buffer' : format === 'text' ? 'text' : 'json',
      });
      const json: IDataObject = { statusCode: res.statusCode, url: safeUrl(res.url) };
      if (res.processingUnits !== undefined) json.processingUnits = res.processingUnits;
      if (format !== 'file') return [{ json: { ...json, body: res.body as IDataObject } }];
      const bytes = res.body as Buffer;
      const fileName = fileNameFromUrl(new URL(res.url)) || 'response';
      const contentType = res.headers['content-type'];
      const mimeType = typeof contentType === 'string' ? contentType.split(';')[0].trim() : mediaTypeOf(fileName);
      const binary = await this.helpers.prepareBinaryData(bytes, fileName, mimeType);
      return [
        { json: { ...json, bytes: bytes.length }, binary: { [String(this.getNodeParameter('binaryPropertyName', itemIndex))]: binary } },
      ];
    },
  };
}
