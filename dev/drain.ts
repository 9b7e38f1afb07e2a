// Reads a response's body to its end before dropping it: cancelling a body still arriving resets the connection, which workerd logs as an error.

/**
 * For answers whose body we do not need (a 202 from the webhook, a 200 from /healthz). `res.body.cancel()`
 * while the body is still on its way makes the client drop the connection, and the server's next write
 * meets "Connection reset by peer" (workerd prints it as an error, in npm start's quiet output too). Our
 * answers are small: reading them costs nothing and leaves the connection reusable.
 */
export async function discardBody(res: Response): Promise<void> {
  await res.arrayBuffer().catch(() => undefined);
}
