import { Connection } from '@temporalio/client';

/**
 * A connection to a Temporal frontend that has just been started, once it answers (GetSystemInfo):
 * `npm start`'s dev server and the chaos run's servers, after a start or a restart.
 */
export async function waitForTemporal(address: string, timeoutMs: number): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return connection;
      } catch (err) {
        await connection.close();
        throw err;
      }
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`Temporal did not answer on ${address} within ${timeoutMs} ms: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
