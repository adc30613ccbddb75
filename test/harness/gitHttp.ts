// Serves bare repositories over git's smart HTTP protocol on loopback: a small HTTP server that
// demands basic auth and hands each request to `git http-backend` (CGI), the way a real git host
// sits behind a web server. Counts the requests refused for want of credentials.
import { spawn } from "node:child_process"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"

export interface GitHttpServer {
  /** `http://127.0.0.1:port/<repo path relative to root>` */
  readonly url: (repoPath: string) => string
  readonly unauthorized: () => number
  readonly close: () => Promise<void>
}

export const startGitHttp = async (root: string, user: string, password: string): Promise<GitHttpServer> => {
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`
  let unauthorized = 0
  const server = createServer((request, response) => {
    if (request.headers.authorization !== expected) {
      unauthorized++
      response.writeHead(401, { "www-authenticate": "Basic realm=\"git\"" })
      response.end()
      return
    }
    const [path, query] = (request.url ?? "/").split("?")
    const cgi = spawn("git", ["http-backend"], {
      env: {
        PATH: process.env["PATH"] ?? "/usr/bin:/bin",
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: "1",
        PATH_INFO: path ?? "/",
        QUERY_STRING: query ?? "",
        REQUEST_METHOD: request.method ?? "GET",
        CONTENT_TYPE: request.headers["content-type"] ?? "",
        REMOTE_USER: user,
        REMOTE_ADDR: "127.0.0.1",
        ...(request.headers["git-protocol"] === undefined ? {} : { GIT_PROTOCOL: String(request.headers["git-protocol"]) })
      },
      stdio: ["pipe", "pipe", "ignore"]
    })
    request.pipe(cgi.stdin)
    let buffered = Buffer.alloc(0)
    let headersDone = false
    cgi.stdout.on("data", (chunk: Buffer) => {
      if (headersDone) {
        response.write(chunk)
        return
      }
      buffered = Buffer.concat([buffered, chunk])
      const end = buffered.indexOf("\r\n\r\n")
      if (end < 0) return
      headersDone = true
      let status = 200
      const headers: Record<string, string> = {}
      for (const line of buffered.subarray(0, end).toString("utf8").split("\r\n")) {
        const colon = line.indexOf(":")
        const name = line.slice(0, colon).trim()
        const value = line.slice(colon + 1).trim()
        if (name.toLowerCase() === "status") status = Number(value.split(" ")[0])
        else headers[name] = value
      }
      response.writeHead(status, headers)
      response.write(buffered.subarray(end + 4))
    })
    cgi.on("close", () => response.end())
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: (repoPath) => `http://127.0.0.1:${port}/${repoPath}`,
    unauthorized: () => unauthorized,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}
