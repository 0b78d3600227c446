/**
 * One run at a time, shared by everyone who asks meanwhile. A caller gets the result of a run that **started after
 * it asked**: with none running, one starts now; with one running (it may have read too early), the caller waits
 * for the next, which starts when the current ends and serves every caller that arrived in between. A burst of N
 * calls therefore costs at most two runs, and no caller is served by a run that could have missed what it asked for.
 */
export function coalesced<T>(run: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  let next: Promise<T> | null = null;
  const start = (): Promise<T> => {
    const current: Promise<T> = run().finally(() => {
      if (running === current) running = null;
    });
    running = current;
    return current;
  };
  return () => {
    if (running === null) return start();
    next ??= running
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        next = null;
        return start();
      });
    return next;
  };
}
