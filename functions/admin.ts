/** Admin HTTP API (master key): health, configurations, pools, reconcile now, poison messages. */
import functions from '@azure/functions';
import { controlPlane } from './composition.js';
import { ADMIN_ROUTE, createAdminHandler } from './handlers/adminHandler.js';

functions.app.http('admin', {
  methods: ['GET', 'POST'],
  authLevel: 'admin',
  route: ADMIN_ROUTE,
  handler: createAdminHandler(controlPlane),
});
