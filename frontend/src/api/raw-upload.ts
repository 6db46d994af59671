// Send a file as the raw request body (not multipart) with upload progress: the knowledge
// base import (POST /kb/import?format=csv|xlsx). fetch() cannot report upload progress, so
// this uses XMLHttpRequest; errors come back as ApiError like every other call (http.ts).
import { ApiError, type Query } from "./http";

export interface RawUploadOptions {
  /** The bearer token (the session's). */
  token: string | null;
  query?: Query;
  contentType?: string;
  /** From 0 to 1 while the body is sent; 1 once the server has answered. */
  onProgress?: (fraction: number) => void;
  /** Abort the upload (the promise rejects with ApiError code "aborted"). */
  signal?: AbortSignal;
}

function withQuery(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  }
  const qs = params.toString();
  return `/api/v1${path}${qs ? `?${qs}` : ""}`;
}

export function uploadRaw<T>(path: string, body: Blob, options: RawUploadOptions): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", withQuery(path, options.query));
    xhr.setRequestHeader("Accept", "application/json");
    if (options.token) xhr.setRequestHeader("Authorization", `Bearer ${options.token}`);
    xhr.setRequestHeader("Content-Type", options.contentType || body.type || "application/octet-stream");
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) options.onProgress?.(e.loaded / e.total);
    };
    xhr.onload = () => {
      let parsed: unknown = null;
      try {
        parsed = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        // not JSON (a proxy's error page): the status text below
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        options.onProgress?.(1);
        resolve(parsed as T);
        return;
      }
      const err = (parsed ?? {}) as { code?: string; detail?: unknown; field?: string };
      const detail = typeof err.detail === "string" ? err.detail : xhr.statusText || `HTTP ${xhr.status}`;
      reject(new ApiError(xhr.status, err.code ?? "http_error", detail, err.field));
    };
    xhr.onerror = () => reject(new ApiError(0, "network", "The upload was interrupted."));
    xhr.onabort = () => reject(new ApiError(0, "aborted", "The upload was cancelled."));
    if (options.signal) {
      if (options.signal.aborted) {
        xhr.abort();
        return;
      }
      options.signal.addEventListener("abort", () => xhr.abort(), { once: true });
    }
    xhr.send(body);
  });
}
