// HTTPS requests that trust a test CA (fetch cannot be given one), with optional basic auth.
import { request as httpsRequest } from "node:https"

export interface HttpsAnswer {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: string
}

export const httpsCall = (
  url: string,
  options: { readonly ca: Buffer | string; readonly method?: string; readonly auth?: string; readonly body?: unknown }
): Promise<HttpsAnswer> =>
  new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body)
    const request = httpsRequest(url, {
      method: options.method ?? "GET",
      ca: options.ca,
      ...(options.auth === undefined ? {} : { auth: options.auth }),
      headers: body === undefined ? {} : { "content-type": "application/json" },
      timeout: 5_000
    }, (response) => {
      let text = ""
      response.setEncoding("utf8")
      response.on("data", (chunk) => (text += chunk))
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }))
      response.on("error", reject)
    })
    request.on("timeout", () => request.destroy(new Error(`no answer from ${url} in 5 s`)))
    request.on("error", reject)
    request.end(body)
  })
