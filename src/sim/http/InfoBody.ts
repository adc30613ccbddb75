// GET /v2/info (types/info.raml MarathonInfo, examples/info.json) for this emulator.
import type { SimOptions } from "../SimOptions.ts"
import type { Leadership } from "./Leadership.ts"

export const infoBody = (o: SimOptions, leader: Leadership, port: number) => ({
  name: "marathon",
  version: o.version,
  buildref: "mdeploy-marathon-sim",
  elected: leader.elected,
  ...(leader.elected ? { leader: leader.host } : {}),
  frameworkId: "mdeploy-sim-framework-0000",
  marathon_config: {
    checkpoint: true,
    executor: "//cmd",
    failover_timeout: 604800,
    features: [],
    framework_name: "marathon",
    ha: true,
    hostname: o.host,
    local_port_max: 20000,
    local_port_min: 10000,
    master: "zk://127.0.0.1:2181/mesos",
    mesos_role: "*",
    mesos_user: "root",
    task_launch_timeout: o.taskLaunchTimeoutMs,
    task_lost_expunge_initial_delay: 300000,
    task_lost_expunge_interval: 30000,
    webui_url: `http://${o.host}:${port}`
  },
  zookeeper_config: {
    zk: "zk://127.0.0.1:2181/marathon",
    zk_connection_timeout: 10000,
    zk_max_versions: 50,
    zk_session_timeout: 10000,
    zk_timeout: 10000
  },
  http_config: { http_port: port, https_port: 8443 }
})
