/** Storage-queue trigger: one message per gateway pool to reconcile. */
import functions from '@azure/functions';
import { controlPlane, RECONCILE_QUEUE, STORAGE_CONNECTION } from './composition.js';
import { createReconcileHandler } from './handlers/reconcileHandler.js';

functions.app.storageQueue('reconcile', {
  queueName: RECONCILE_QUEUE,
  connection: STORAGE_CONNECTION,
  handler: createReconcileHandler(() => {
    const p = controlPlane();
    return { ...p, arm: p.pools };
  }),
});
