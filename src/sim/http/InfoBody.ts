// GET /v2/info (types/info.raml MarathonInfo, examples/info.json) for this emulator: every key
// Marathon 1.10.26 writes with its default value; options without a default (CORS origin, default
// network name, env prefix) are left out.
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
    decline_offer_duration: 120000,
    executor: "//cmd",
    failover_timeout: 604800,
    features: [],
    framework_name: "marathon",
    ha: true,
    hostname: o.host,
    launch_token: 100,
    launch_token_refresh_interval: 30000,
    leader_proxy_connection_timeout_ms: 5000,
    leader_proxy_read_timeout_ms: 10000,
    local_port_max: 20000,
    local_port_min: 10000,
    master: "zk://127.0.0.1:2181/mesos",
    max_instances_per_offer: 5,
    mesos_bridge_name: "mesos-bridge",
    mesos_heartbeat_failure_threshold: 5,
    mesos_heartbeat_interval: 15000,
    mesos_role: "*",
    mesos_user: "root",
    new_group_enforce_role: "Off",
    min_revive_offers_interval: 5000,
    offer_matching_timeout: 3000,
    on_elected_prepare_timeout: 180000,
    reconciliation_initial_delay: 15000,
    reconciliation_interval: 600000,
    scale_apps_initial_delay: 15000,
    scale_apps_interval: 300000,
    store_cache: true,
    task_launch_confirm_timeout: 300000,
    task_launch_timeout: o.taskLaunchTimeoutMs,
    task_lost_expunge_initial_delay: 300000,
    task_lost_expunge_interval: 30000,
    task_reservation_timeout: 20000,
    webui_url: `http://${o.host}:${port}`,
    maintenance_mode: true
  },
  zookeeper_config: {
    zk: "zk://127.0.0.1:2181/marathon",
    zk_compression: true,
    zk_compression_threshold: 65536,
    zk_connection_timeout: 10000,
    zk_max_node_size: 1024000,
    zk_max_versions: 50,
    zk_session_timeout: 10000,
    zk_timeout: 10000
  },
  http_config: { http_port: port, https_port: 8443 }
})
