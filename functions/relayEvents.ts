/** `POST /api/relay/events`: the relay forwards StaticGatewayConfiguration changes (HMAC-signed). */
import functions from '@azure/functions';
import { controlPlane } from './composition.js';
import { createRelayEventsHandler } from './handlers/relayHandlers.js';

functions.app.http('relayEvents', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'relay/events',
  handler: createRelayEventsHandler(controlPlane),
});
