/**
 * Where the official Azure REST API specification examples live (Azure/azure-rest-api-specs, MIT,
 * copied unchanged: test/fixtures/azure-specs/SOURCES.md lists the origin of each file). Set
 * `AZURE_SPECS_FIXTURES` to replay another set of examples (same layout: `<RP>/<OperationId>__<name>.json`).
 */
import { join } from 'node:path';

export const AZURE_SPECS_DIR =
  process.env['AZURE_SPECS_FIXTURES'] ?? join(import.meta.dirname, '..', 'fixtures', 'azure-specs');
