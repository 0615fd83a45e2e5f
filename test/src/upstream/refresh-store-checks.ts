import type { RefreshStore, StoredRefresh } from "@mcp-gateway/core";

/**
 * Has every replica refresh twice at once, each holding the lock 30 ms, and checks they never overlapped and each
 * spent the refresh token the previous one saved (rt-0, then the rotated rt-1, rt-2, rt-3). Closes the replicas.
 */
export async function expectRefreshesTakeTurns(replicas: RefreshStore[]): Promise<void> {
  const spent: string[] = [];
  let inside = 0;
  let overlapped = false;
  const refresh = (store: RefreshStore) =>
    store.exclusive(async (stored: StoredRefresh | undefined, save) => {
      inside++;
      overlapped ||= inside > 1;
      spent.push(stored?.refreshToken ?? "rt-0");
      await new Promise((resolve) => setTimeout(resolve, 30));
      await save({ origin: "o", refreshToken: `rt-${spent.length}` });
      inside--;
    });
  await Promise.all([...replicas, ...replicas].map(refresh));
  expect(overlapped).toBe(false);
  expect(spent).toEqual(["rt-0", "rt-1", "rt-2", "rt-3"]);
  await Promise.all(replicas.map((store) => store.close()));
}

/** Checks an unreachable store's failure says `message` and never the password `hunter2` its URL held. Closes it. */
export async function expectUnreachableNamed(store: RefreshStore, message: string): Promise<void> {
  const failure = store.exclusive(async () => undefined);
  await expect(failure).rejects.toThrow(message);
  await expect(failure).rejects.not.toThrow("hunter2");
  await store.close();
}
