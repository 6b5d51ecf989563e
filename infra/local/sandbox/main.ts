/**
 * The local sandbox: what `npm start` runs. It starts the local stand-ins on loopback, prints
 * their endpoints and keeps serving until Ctrl-C, which stops everything cleanly.
 * `--json` prints one JSON line with the endpoints instead of the walkthrough.
 */
import { startAzurite } from '../azurite/startAzurite.js';

const json = process.argv.includes('--json');
const log = (line: string): void => {
  if (!json) console.log(line);
};

log('egret sandbox: starting Azurite (tables, queues, blobs) ...');
const azurite = await startAzurite();

if (json) {
  console.log(JSON.stringify({ storageConnectionString: azurite.connectionString }));
} else {
  log(`  tables  ${azurite.tableEndpoint}`);
  log(`  queues  ${azurite.queueEndpoint}`);
  log(`  blobs   ${azurite.blobEndpoint}`);
  log(`  connection string (AzureWebJobsStorage):\n    ${azurite.connectionString}`);
  log('Ready. Press Ctrl-C to stop.');
}

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  log('\negret sandbox: stopping ...');
  await azurite.stop();
  log('stopped.');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
