/** Timer (`RESYNC_SCHEDULE`, every 5 minutes by default): every pool is reconciled, repairing silent drift. */
import functions from '@azure/functions';
import { appConfig, controlPlane } from './composition.js';
import { createResyncHandler } from './handlers/resyncHandler.js';

functions.app.timer('resync', {
  schedule: appConfig.resyncSchedule,
  handler: createResyncHandler(controlPlane),
});
