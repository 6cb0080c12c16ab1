/**
 * The dashboard reads only the public API, with the analyst's own key, so every figure it shows has
 * been through the same disclosure control as any other client's. The key lives in session storage:
 * it goes with the tab, never into the address, history or a shared link.
 */
const KEY_STORAGE = 'vawg.dashboard.apiKey';

export function readStoredKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY_STORAGE, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY_STORAGE);
}

/** An API answer other than 2xx, with the problem document's own words. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(detail);
  }
}

export type Query = Record<string, string | undefined>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, value);
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function getJson<T>(path: string, query: Query = {}, key: string | null = readStoredKey()): Promise<T> {
  const response = await fetch(withQuery(path, query), {
    headers: { accept: 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
  });
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      const problem = (await response.json()) as { detail?: string; title?: string };
      detail = problem.detail ?? problem.title ?? detail;
    } catch {
      // Not a problem document: the status line says enough.
    }
    throw new ApiError(response.status, detail);
  }
  return (await response.json()) as T;
}
