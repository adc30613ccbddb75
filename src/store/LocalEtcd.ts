// Starts etcd members as child processes on loopback: the integration-test harness, benchmarks and
// `mdeploy up` use it. Each member gets free ports and its own data dir (on tmpfs when there is
// one), runs with --unsafe-no-fsync, and is waited on until /health answers. It never binds
// anything but 127.0.0.1. With `tls`, clients speak HTTPS (and must show a certificate when a
// trusted CA is given); /health is then read from a plain-HTTP metrics listener.
import { spawn, spawnSync } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface EtcdMember {
  readonly name: string
  readonly clientUrl: string
  readonly peerUrl: string
  /** Where /health answers over plain HTTP: the client URL, or a metrics URL when clients use TLS. */
  readonly healthUrl: string
  readonly dataDir: string
  /** The running process, or undefined while the member is stopped. */
  process: ChildProcess | undefined
}

export interface EtcdCluster {
  readonly members: ReadonlyArray<EtcdMember>
  /** Comma-separated client URLs of every member, as `--etcd` takes them. */
  readonly endpoints: string
  /** SIGKILL one member (a crash); its data dir is kept. */
  readonly kill: (index: number) => Promise<void>
  /** SIGTERM one member and wait for it to exit. */
  readonly stop: (index: number) => Promise<void>
  /** SIGSTOP one member: it keeps its connections open and answers nothing (a hung machine). */
  readonly freeze: (index: number) => void
  /** SIGCONT a frozen member. */
  readonly thaw: (index: number) => void
  /** Start a stopped or killed member again with its data. */
  readonly restart: (index: number) => Promise<void>
  /** Stop every member and remove the data dirs. */
  readonly close: () => Promise<void>
}

export interface LocalEtcdTls {
  /** Server certificate (its SAN must name 127.0.0.1) and key, as etcd's --cert-file/--key-file. */
  readonly certFile: string
  readonly keyFile: string
  /** With a CA, clients must present a certificate it signed (--trusted-ca-file, --client-cert-auth). */
  readonly trustedCaFile?: string
}

export interface LocalEtcdOptions {
  readonly members?: number
  /** Serve clients over HTTPS; peers stay on plain loopback HTTP. */
  readonly tls?: LocalEtcdTls
  /** Parent folder of the data dirs; defaults to /dev/shm when present, else the OS temp dir. */
  readonly baseDir?: string
  readonly startTimeoutMs?: number
  /** Where each member's ports come from (default: a port the kernel has free now). */
  readonly freePort?: () => Promise<number>
}

// A port found free can be taken before etcd binds it (by another test's server, or as the local
// port of any outgoing connection), and etcd then exits at once: the cluster is started again on
// other ports, this many times at most.
const startAttempts = 3

/** A member exited while its cluster started; the message ends with the last lines of its log. */
class MemberExited extends Error {}

const logTail = (member: EtcdMember): string => {
  try {
    return readFileSync(join(member.dataDir, "..", `${member.name}.log`), "utf8").trim().split("\n").slice(-3).join("\n")
  } catch {
    return "(no log)"
  }
}

/** Throws with an actionable message when the etcd binary is missing: tests must fail, not skip. */
export const assertEtcdInstalled = (): void => {
  const probe = spawnSync("etcd", ["--version"], { stdio: "ignore" })
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error("etcd is not installed: run `make test` (it installs Debian's etcd-server) or `apt-get install etcd-server`")
  }
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const tlsFlags = (tls: LocalEtcdTls | undefined, member: EtcdMember): ReadonlyArray<string> =>
  tls === undefined ? [] : [
    "--cert-file",
    tls.certFile,
    "--key-file",
    tls.keyFile,
    "--listen-metrics-urls",
    member.healthUrl,
    ...(tls.trustedCaFile === undefined ? [] : ["--trusted-ca-file", tls.trustedCaFile, "--client-cert-auth"])
  ]

const launch = (member: EtcdMember, initialCluster: string, token: string, fresh: boolean, tls: LocalEtcdTls | undefined): ChildProcess =>
  spawn("etcd", [
    "--name",
    member.name,
    "--data-dir",
    member.dataDir,
    "--logger=zap",
    "--log-outputs",
    join(member.dataDir, "..", `${member.name}.log`),
    "--listen-client-urls",
    member.clientUrl,
    "--advertise-client-urls",
    member.clientUrl,
    "--listen-peer-urls",
    member.peerUrl,
    "--initial-advertise-peer-urls",
    member.peerUrl,
    "--initial-cluster",
    initialCluster,
    "--initial-cluster-state",
    fresh ? "new" : "existing",
    "--initial-cluster-token",
    token,
    "--heartbeat-interval",
    "100",
    "--election-timeout",
    "1000",
    "--unsafe-no-fsync",
    ...tlsFlags(tls, member)
  ], { stdio: "ignore" })

const healthy = async (healthUrl: string): Promise<boolean> => {
  try {
    const response = await fetch(`${healthUrl}/health`, { signal: AbortSignal.timeout(500) })
    const body = (await response.json()) as { health?: string }
    return body.health === "true"
  } catch {
    return false
  }
}

const waitHealthy = async (members: ReadonlyArray<EtcdMember>, timeoutMs: number): Promise<void> => {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const dead = members.find((member) => member.process?.exitCode !== null && member.process?.exitCode !== undefined)
    if (dead !== undefined) {
      throw new MemberExited(`etcd member ${dead.name} exited with code ${dead.process?.exitCode}:\n${logTail(dead)}`)
    }
    const states = await Promise.all(members.map((member) => healthy(member.healthUrl)))
    if (states.every(Boolean)) return
    if (performance.now() > deadline) throw new Error(`etcd did not become healthy within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** For a synchronous pause of a millisecond (Atomics.wait on a value nobody changes). */
const pause = new Int32Array(new SharedArrayBuffer(4))

/**
 * Whether every thread of the process is stopped (state T in /proc/<pid>/task/<tid>/stat: a thread
 * still running can still answer a request), or it cannot be told: without /proc the signal's
 * delivery is all there is to go by.
 */
export const processStopped = (pid: number): boolean => {
  let threads: Array<string>
  try {
    threads = readdirSync(`/proc/${pid}/task`)
  } catch {
    return true
  }
  return threads.every((thread) => {
    let stat: string
    try {
      stat = readFileSync(`/proc/${pid}/task/${thread}/stat`, "utf8")
    } catch {
      // The thread has exited since the listing.
      return true
    }
    // The state follows the command name, which is in parentheses and may itself hold ") ".
    const state = stat.charAt(stat.lastIndexOf(")") + 2)
    return state === "T" || state === "t"
  })
}

const waitExit = (child: ChildProcess | undefined): Promise<void> =>
  child === undefined || child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once("exit", () => resolve()))

/**
 * Starts a fresh etcd cluster of `members` members (1 by default) and waits until all are healthy;
 * a member that exits while starting has the cluster started again on other ports.
 */
export const startLocalEtcd = async (options: LocalEtcdOptions = {}): Promise<EtcdCluster> => {
  assertEtcdInstalled()
  for (let attempt = 1;; attempt++) {
    try {
      return await startOnce(options)
    } catch (error) {
      if (!(error instanceof MemberExited) || attempt >= startAttempts) throw error
    }
  }
}

const startOnce = async (options: LocalEtcdOptions): Promise<EtcdCluster> => {
  const port = options.freePort ?? freePort
  const size = options.members ?? 1
  const base = options.baseDir ?? (existsSync("/dev/shm") ? "/dev/shm" : tmpdir())
  const root = mkdtempSync(join(base, "mdeploy-etcd-"))
  const token = `mdeploy-${root.slice(-6)}`
  const members: Array<EtcdMember> = []
  for (let index = 0; index < size; index++) {
    const name = `m${index + 1}`
    const clientUrl = `${options.tls === undefined ? "http" : "https"}://127.0.0.1:${await port()}`
    members.push({
      name,
      clientUrl,
      peerUrl: `http://127.0.0.1:${await port()}`,
      healthUrl: options.tls === undefined ? clientUrl : `http://127.0.0.1:${await port()}`,
      dataDir: join(root, name),
      process: undefined
    })
  }
  const initialCluster = members.map((member) => `${member.name}=${member.peerUrl}`).join(",")
  for (const member of members) member.process = launch(member, initialCluster, token, true, options.tls)
  const startTimeoutMs = options.startTimeoutMs ?? 20_000

  const stopMember = async (index: number, signal: NodeJS.Signals): Promise<void> => {
    const member = members[index]
    if (member === undefined) throw new Error(`no etcd member ${index}`)
    const child = member.process
    member.process = undefined
    if (child === undefined) return
    child.kill(signal)
    await waitExit(child)
  }

  const signal = (index: number, name: NodeJS.Signals): void => {
    const child = members[index]?.process
    if (child === undefined) throw new Error(`no running etcd member ${index}`)
    child.kill(name)
  }

  // A signal is delivered, not obeyed, when kill(2) returns: a member is frozen once the kernel
  // shows it stopped, so a caller never talks to a member it believes frozen that still answers.
  const freeze = (index: number): void => {
    signal(index, "SIGSTOP")
    const pid = members[index]?.process?.pid
    if (pid === undefined) return
    const deadline = performance.now() + 5_000
    while (!processStopped(pid)) {
      if (performance.now() > deadline) throw new Error(`etcd member ${index} (pid ${pid}) did not stop within 5 s of SIGSTOP`)
      Atomics.wait(pause, 0, 0, 1)
    }
  }

  const close = async (): Promise<void> => {
    await Promise.all(members.map((_, index) => stopMember(index, "SIGKILL")))
    rmSync(root, { recursive: true, force: true })
  }

  try {
    await waitHealthy(members, startTimeoutMs)
  } catch (error) {
    await close()
    throw error
  }

  return {
    members,
    endpoints: members.map((member) => member.clientUrl).join(","),
    kill: (index) => stopMember(index, "SIGKILL"),
    freeze,
    thaw: (index) => signal(index, "SIGCONT"),
    stop: (index) => stopMember(index, "SIGTERM"),
    restart: async (index) => {
      const member = members[index]
      if (member === undefined) throw new Error(`no etcd member ${index}`)
      await stopMember(index, "SIGTERM")
      member.process = launch(member, initialCluster, token, false, options.tls)
      // A lone restarted member of a multi-member cluster is healthy only with a quorum; wait for
      // its own endpoint to answer at all, and for the whole cluster when it is a single node.
      await waitHealthy(size === 1 ? [member] : members.filter((m) => m.process !== undefined), startTimeoutMs)
    },
    close
  }
}
