/**
 * The inputs of the checked-in template, all imported from the code so the template cannot drift from it:
 * the app settings egret reads (shared/config.ts) and the ARM event types and operation names the
 * `armEvents` normaliser handles (shared/core/normalizeArmEvent.ts).
 */
import { SETTINGS } from '../../shared/config.js';
import { HANDLED_ARM_OPERATIONS, SUCCESS_EVENT_TYPES } from '../../shared/core/normalizeArmEvent.js';
import type { RenderTemplateInput } from './renderTemplate.js';

export const TEMPLATE_INPUT: RenderTemplateInput = {
  settings: SETTINGS,
  armEventTypes: SUCCESS_EVENT_TYPES,
  armOperations: HANDLED_ARM_OPERATIONS,
};
