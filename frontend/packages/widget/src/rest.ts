// The REST calls the widget makes (to the Huiliu host the script came from, usually another
// origin than the page: the API allows any), with errors as {code, detail, field}.

export class WidgetError extends Error {
  constructor(
    readonly code: string,
    readonly detail: string,
    readonly status = 0,
    readonly field: string | null = null,
  ) {
    super(`${code}: ${detail}`);
  }
}

function failure(status: number, text: string, fallback: string): WidgetError {
  let body: { code?: unknown; detail?: unknown; field?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // not JSON: a proxy's error page
  }
  return new WidgetError(
    typeof body.code === "string" ? body.code : status ? "http_error" : "network",
    typeof body.detail === "string" ? body.detail : fallback,
    status,
    typeof body.field === "string" ? body.field : null,
  );
}

export class Rest {
  constructor(
    readonly base: string,
    private readonly token: () => string | null = () => null,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    const token = this.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(`${this.base}/api/v1${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
      });
    } catch (err) {
      throw new WidgetError("network", `the server cannot be reached (${String(err)})`);
    }
    const text = await response.text();
    if (!response.ok) throw failure(response.status, text, response.statusText || `HTTP ${response.status}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  /** POST /files as multipart, reporting progress from 0 to 1. */
  upload<T>(file: Blob & { name?: string }, onProgress: (fraction: number) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", `${this.base}/api/v1/files`);
      const token = this.token();
      if (token) xhr.setRequestHeader("authorization", `Bearer ${token}`);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
      };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          onProgress(1);
          resolve(JSON.parse(xhr.responseText) as T);
        } else reject(failure(xhr.status, xhr.responseText, xhr.statusText || `HTTP ${xhr.status}`));
      };
      xhr.onerror = () => reject(new WidgetError("network", "the upload was interrupted"));
      const form = new FormData();
      form.append("file", file, file.name ?? "image");
      xhr.send(form);
    });
  }
}
