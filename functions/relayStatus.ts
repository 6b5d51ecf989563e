/** `GET /api/relay/status?clusterId=…`: the relay pulls the computed status (HMAC-signed). */
import functions from '@azure/functions';
import { controlPlane } from './composition.js';
import { createRelayStatusHandler } from './handlers/relayHandlers.js';

functions.app.http('relayStatus', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'relay/status',
  handler: createRelayStatusHandler(controlPlane),
});
