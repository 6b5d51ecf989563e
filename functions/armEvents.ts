/** Event Grid trigger for ARM system-topic events (VMSS, VMSS VMs, VMs, NICs, the ILB, prefixes). */
import functions from '@azure/functions';
import { controlPlane } from './composition.js';
import { createArmEventsHandler } from './handlers/armEventsHandler.js';

functions.app.eventGrid('armEvents', { handler: createArmEventsHandler(controlPlane) });
