// The app definition as Marathon's RAML (types/app.raml and the types it uses) declares it,
// written as Shapes: JSON types, RAML minimums/patterns, enums, and which objects are modelled
// field by field. Unmodelled sub-objects (volumes, linuxInfo, check, resourceLimits) are kept
// opaque. Semantic rules that need the whole app live in AppRules.
import { arr, bool, either, int, map, num, obj, opaque, str, type Shape } from "./Shape.ts"

/** RAML `strings.PathId`. */
const pathIdPattern = /^(\/?((\.\.)|(([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9]))?($|\/))+$/
const pathId = str({ minLength: 1, pattern: pathIdPattern })
const legacyName = str({ minLength: 1, pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/ })
const name63 = str({ minLength: 1, maxLength: 63, pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/ })
const anyPort = int({ min: 0, max: 65535 })
const labels = map(str())
const protocol = str({ oneOf: ["tcp", "udp", "udp,tcp"] })

const portMapping = obj({
  containerPort: anyPort,
  hostPort: anyPort,
  labels,
  name: legacyName,
  protocol,
  servicePort: anyPort,
  networkNames: arr(name63)
})

const docker = obj(
  {
    credential: obj({ principal: str(), secret: str() }, ["principal"]),
    pullConfig: obj({ secret: str({ minLength: 1 }) }, ["secret"]),
    forcePullImage: bool,
    image: str({ minLength: 1 }),
    network: str({ oneOf: ["BRIDGE", "HOST", "NONE", "USER"] }),
    parameters: arr(obj({ key: str({ minLength: 1 }), value: str() }, ["key", "value"])),
    portMappings: arr(portMapping),
    privileged: bool
  },
  ["image"]
)

const container = obj({
  type: str({ oneOf: ["MESOS", "DOCKER"] }),
  docker,
  linuxInfo: opaque,
  volumes: arr(opaque),
  portMappings: arr(portMapping)
})

const healthCheckShape = obj({
  command: obj({ value: str() }),
  gracePeriodSeconds: int({ min: 0 }),
  ignoreHttp1xx: bool,
  intervalSeconds: int({ min: 0 }),
  maxConsecutiveFailures: int({ min: 0 }),
  path: str(),
  port: anyPort,
  portIndex: anyPort,
  protocol: str({ oneOf: ["HTTP", "HTTPS", "TCP", "COMMAND", "MESOS_TCP", "MESOS_HTTP", "MESOS_HTTPS"] }),
  ipProtocol: str({ oneOf: ["IPv4", "IPv6"] }),
  timeoutSeconds: int(),
  delaySeconds: int({ min: 0 })
})

const readinessCheck = obj({
  name: str({ minLength: 1 }),
  protocol: str({ oneOf: ["HTTP", "HTTPS"] }),
  path: str({ minLength: 1, maxLength: 1024 }),
  portName: legacyName,
  intervalSeconds: int({ min: 0 }),
  timeoutSeconds: int({ min: 1 }),
  httpStatusCodesForReady: arr(int({ min: 100, max: 999 }), { minItems: 1 }),
  preserveLastResponse: bool
})

const network = obj({
  name: str({ minLength: 1, maxLength: 63, pattern: /^[a-z0-9]([-a-z0-9_]*[a-z0-9])?$/ }),
  mode: str({ oneOf: ["container", "container/bridge", "host"] }),
  labels
})

const ipAddress = obj({
  discovery: obj({
    ports: arr(obj({ number: anyPort, name: legacyName, protocol, labels }, ["name"]))
  }),
  groups: arr(str()),
  labels,
  networkName: str({ minLength: 1 })
})

/** Fields of an app definition, shared by create (id required) and update bodies. */
const appFields: Record<string, Shape> = {
  id: pathId,
  acceptedResourceRoles: arr(str()),
  args: arr(str()),
  backoffFactor: num({ min: 1 }),
  backoffSeconds: int({ min: 0 }),
  cmd: str({ minLength: 1 }),
  constraints: arr(arr(str(), { minItems: 2, maxItems: 3 })),
  container,
  cpus: num({ min: 0.001 }),
  dependencies: arr(pathId),
  disk: num({ min: 0 }),
  env: map(either(str(), obj({ secret: str() }, ["secret"]))),
  executor: str({ pattern: /^(\/\/cmd)|(\/?[^/]+(\/[^/]+)*)|$/ }),
  executorResources: opaque,
  fetch: arr(
    obj(
      {
        uri: str({ minLength: 1, maxLength: 1024 }),
        extract: bool,
        executable: bool,
        cache: bool,
        destPath: str({ minLength: 1, maxLength: 1024 })
      },
      ["uri"]
    )
  ),
  healthChecks: arr(healthCheckShape),
  check: opaque,
  instances: int({ min: 0 }),
  labels,
  maxLaunchDelaySeconds: int({ min: 0 }),
  mem: num({ min: 0 }),
  gpus: int({ min: 0 }),
  ipAddress,
  networks: arr(network),
  ports: arr(anyPort),
  portDefinitions: arr(obj({ port: anyPort, labels, name: legacyName, protocol })),
  readinessChecks: arr(readinessCheck),
  residency: obj({
    relaunchEscalationTimeoutSeconds: int({ min: 0 }),
    taskLostBehavior: str({ oneOf: ["WAIT_FOREVER", "RELAUNCH_AFTER_TIMEOUT"] })
  }),
  resourceLimits: opaque,
  requirePorts: bool,
  secrets: map(obj({ source: str({ minLength: 1 }) }, ["source"])),
  taskKillGracePeriodSeconds: int({ min: 0 }),
  // The [0, 1] range is left to AppRules: Marathon reports it as "Object is not valid" (spec §2.2).
  upgradeStrategy: obj({ maximumOverCapacity: num(), minimumHealthCapacity: num() }),
  uris: arr(str({ minLength: 1, maxLength: 1024 })),
  user: str(),
  version: str(),
  versionInfo: opaque,
  killSelection: str({ oneOf: ["YOUNGEST_FIRST", "OLDEST_FIRST"] }),
  unreachableStrategy: either(
    str({ oneOf: ["disabled"] }),
    obj({ inactiveAfterSeconds: int({ min: 0 }), expungeAfterSeconds: int({ min: 0 }) })
  ),
  tty: bool,
  role: str({ minLength: 1 })
}

/** POST /v2/apps: the id is required. */
export const appCreateShape = obj(appFields, ["id"])
/** PUT/PATCH bodies: every field optional (the RAML AppUpdate type). */
export const appUpdateShape = obj(appFields)
