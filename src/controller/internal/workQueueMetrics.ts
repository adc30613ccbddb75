// The work queue's metrics under client-go's names, so existing dashboards carry over; each series
// carries the queue's `name`. Recorded with Effect's Metric; exported elsewhere.
import { Metric } from "effect"

// Latency buckets span 1 µs to 180 s (Argo CD's range) in decades plus 60 s and 180 s.
const latencyBoundaries = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1, 10, 60, 180]
export const metrics = {
  depth: Metric.gauge("workqueue_depth", { description: "Keys marked for a run and not yet handed out" }),
  adds: Metric.counter("workqueue_adds_total", {
    description: "Adds handled by the work queue",
    incremental: true
  }),
  queueDuration: Metric.histogram("workqueue_queue_duration_seconds", {
    description: "Seconds a key waits in the work queue before it is handed out",
    boundaries: latencyBoundaries
  }),
  workDuration: Metric.histogram("workqueue_work_duration_seconds", {
    description: "Seconds from handing a key out to its done",
    boundaries: latencyBoundaries
  }),
  unfinished: Metric.gauge("workqueue_unfinished_work_seconds", {
    description: "Summed age of the runs in progress"
  }),
  longest: Metric.gauge("workqueue_longest_running_processor_seconds", {
    description: "Age of the oldest run in progress"
  }),
  retries: Metric.counter("workqueue_retries_total", {
    description: "Delayed and rate-limited re-adds",
    incremental: true
  })
}
