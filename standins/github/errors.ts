// GitHub's error responses: `{message, documentation_url, status}` bodies with the status codes GitHub uses for each failure.

export interface ValidationErrorItem {
  readonly resource: string;
  readonly code: "missing_field" | "invalid" | "custom" | "unprocessable" | "already_exists" | "missing";
  readonly field: string;
  readonly message?: string;
}

export const DOCS = "https://docs.github.com/rest";

/** Thrown anywhere in the fake; the app turns it into the JSON body GitHub would send. */
export class GitHubError extends Error {
  readonly code = "fake_github_error";
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 422 | 500 | 502 | 503,
    message: string,
    readonly documentationUrl: string = DOCS,
    readonly errors?: readonly ValidationErrorItem[],
  ) {
    super(message);
    this.name = "GitHubError";
  }

  toBody(): Record<string, unknown> {
    return {
      message: this.message,
      ...(this.errors ? { errors: this.errors } : {}),
      documentation_url: this.documentationUrl,
      status: String(this.status),
    };
  }
}

export const notFound = (docs?: string) => new GitHubError(404, "Not Found", docs);

/** The older Checks/Actions validator speaks `Invalid request.\n\n...`; the newer one `Validation Failed` + errors. */
export const invalidRequest = (detail: string, docs?: string) =>
  new GitHubError(422, `Invalid request.\n\n${detail}`, docs);

export const validationFailed = (errors: readonly ValidationErrorItem[], docs?: string) =>
  new GitHubError(422, "Validation Failed", docs, errors);

/** `"a" wasn't supplied.` / `"a", "b" weren't supplied.`, GitHub's wording for missing JSON-schema fields. */
export function notSupplied(fields: readonly string[]): string {
  const list = fields.map((f) => `"${f}"`).join(", ");
  return `${list} ${fields.length === 1 ? "wasn't" : "weren't"} supplied.`;
}
