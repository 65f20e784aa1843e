/** Operation name → what it does. */
import type { Operation } from '../request-config';
import { catalogSearch } from './catalog';
import type { OperationRunner } from './context';
import { customRequest } from './custom-request';
import { downloadFile } from './download';
import { processRequest } from './process';
import { statisticsRequest } from './statistics';
import { worldCoverDownload } from './worldcover';

export type { OperationContext, EoReport } from './context';

export const OPERATION_RUNNERS: Record<Operation, OperationRunner> = {
  request: customRequest,
  process: processRequest,
  catalog: catalogSearch,
  statistics: statisticsRequest,
  download: downloadFile,
  worldcover: worldCoverDownload,
};
