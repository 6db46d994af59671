// The REST client: JSON in and out, the bearer token, and the server's errors as ApiError
// ({"code", "detail", "field"?} — docs/protocol.md §6).

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly field?: string,
    /** On a 403: the permission the caller's role lacks. */
    readonly permission?: string,
  ) {
    super(detail);
    this.name = "ApiError";
  }
}

type TokenSource = () => string | null;
type Unauthorized = () => void;

let tokenSource: TokenSource = () => null;
let onUnauthorized: Unauthorized = () => {};

/** Where requests get their token, and what happens when the server refuses it. */
export function configure(source: TokenSource, unauthorized: Unauthorized): void {
  tokenSource = source;
  onUnauthorized = unauthorized;
}

export type Query = Record<string, string | number | boolean | null | undefined>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function errorOf(response: Response): Promise<ApiError> {
  let body: { code?: string; detail?: unknown; field?: string; permission?: string } = {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // not JSON (a proxy's error page): fall through to the status text
  }
  const detail =
    typeof body.detail === "string" ? body.detail : response.statusText || `HTTP ${response.status}`;
  return new ApiError(response.status, body.code ?? "http_error", detail, body.field, body.permission);
}

export async function request<T>(
  method: string,
  path: string,
  options: { body?: unknown; query?: Query; raw?: BodyInit; contentType?: string } = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const token = tokenSource();
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (options.raw !== undefined) {
    body = options.raw;
    if (options.contentType) headers["Content-Type"] = options.contentType;
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["Content-Type"] = "application/json";
  }
  let response: Response;
  try {
    response = await fetch(withQuery(`/api/v1${path}`, options.query), { method, headers, body });
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached. Check the connection.");
  }
  if (response.status === 401) onUnauthorized();
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return undefined as T;
  const type = response.headers.get("Content-Type") ?? "";
  if (type.includes("application/json")) return (await response.json()) as T;
  return (await response.blob()) as T;
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>("GET", path, { query }),
  post: <T>(path: string, body?: unknown, query?: Query) =>
    request<T>("POST", path, { body, query }),
  put: <T>(path: string, body?: unknown) => request<T>("PUT", path, { body }),
  patch: <T>(path: string, body?: unknown) => request<T>("PATCH", path, { body }),
  delete: <T>(path: string) => request<T>("DELETE", path),
};

/** Upload one file (POST /files, multipart) with progress from 0 to 1. */
export function upload<T>(file: File, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/files");
    const token = tokenSource();
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: { code?: string; detail?: string; field?: string } = {};
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        // keep the empty body
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(body as T);
      } else {
        reject(
          new ApiError(xhr.status, body.code ?? "http_error", body.detail ?? xhr.statusText, body.field),
        );
      }
    };
    xhr.onerror = () => reject(new ApiError(0, "network", "The upload was interrupted."));
    const form = new FormData();
    form.append("file", file);
    xhr.send(form);
  });
}

/** Download a route's body as a file the browser saves (exports). */
export async function download(path: string, query: Query, filename: string): Promise<void> {
  const blob = await request<Blob>("GET", path, { query });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.click();
  URL.revokeObjectURL(url);
}
