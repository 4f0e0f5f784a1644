// The per-request metrics (requests by method, route and code; their durations; requests by client
// protocol), counted in plain numbers on every answer and handed to prom-client only when scraped.
// Why not prom-client's own inc/observe per request: each call builds a string key from its label
// object and validates the labels again, ~1.5 µs a request for the three (bench/RESULTS.md), on a
// path measured against a bare server. The cells are bounded: Node parses only known methods, routes
// are the router's patterns (or "unmatched"), codes are ours, protocols a handful.
import client from 'prom-client';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 2.5, 5, 10];

/** Answers of one (route, method); `codes` counts them per status code. */
interface RouteCell {
  readonly labels: { method: string; route: string };
  readonly codes: Map<number, { count: number; flushed: number }>;
  /** Per bucket of BUCKETS, then +Inf: answers whose duration falls in it (not cumulative). */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/**
 * The duration histogram as prom-client's registry reads a metric (getForPromString / get / reset),
 * written from the cells, in the shape prom-client's own Histogram produces.
 */
class DurationHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly cells: Iterable<RouteCell>,
  ) {}

  getForPromString(): { name: string; help: string; type: string; aggregator: string; values: object[] } {
    const values: object[] = [];
    for (const cell of this.cells) {
      let cumulative = 0;
      BUCKETS.forEach((le, i) => {
        cumulative += cell.buckets[i]!;
        values.push({
          labels: { le },
          sharedLabels: cell.labels,
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      });
      values.push({
        labels: { le: '+Inf' },
        sharedLabels: cell.labels,
        value: cell.count,
        metricName: `${this.name}_bucket`,
      });
      values.push({ labels: {}, sharedLabels: cell.labels, value: cell.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: cell.labels, value: cell.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  async get(): Promise<object> {
    const data = this.getForPromString();
    const values = data.values.map((v) => {
      const { labels, sharedLabels, ...rest } = v as { labels: object; sharedLabels: object };
      return { ...rest, labels: { ...labels, ...sharedLabels } };
    });
    return { ...data, values };
  }

  reset(): void {
    for (const cell of this.cells) {
      cell.buckets.fill(0);
      cell.sum = 0;
      cell.count = 0;
    }
  }
}

export class RequestMetrics {
  totalRequests = 0;
  totalLatency = 0;
  readonly statusCodes: Record<number, number> = {};
  private readonly byRoute = new Map<string, Map<string, RouteCell>>();
  private readonly cells: RouteCell[] = [];
  private readonly byProtocol = new Map<string, { count: number; flushed: number }>();

  constructor(registry: client.Registry) {
    const cells = this.cells;
    const byProtocol = this.byProtocol;
    new client.Counter({
      name: 'ttv_api_http_requests_total',
      help: 'HTTP requests by method, route and status code',
      labelNames: ['method', 'route', 'code'],
      registers: [registry],
      collect() {
        for (const cell of cells) {
          for (const [code, n] of cell.codes) {
            if (n.count === n.flushed) continue;
            this.inc({ ...cell.labels, code: String(code) }, n.count - n.flushed);
            n.flushed = n.count;
          }
        }
      },
    });
    registry.registerMetric(
      new DurationHistogram(
        'ttv_api_request_duration_seconds',
        'HTTP request latency in seconds',
        cells,
      ) as unknown as client.Metric,
    );
    new client.Counter({
      name: 'ttv_api_requests_by_protocol_total',
      help: "Requests by the client's HTTP protocol (as the edge saw it)",
      labelNames: ['protocol'],
      registers: [registry],
      collect() {
        for (const [protocol, n] of byProtocol) {
          if (n.count === n.flushed) continue;
          this.inc({ protocol }, n.count - n.flushed);
          n.flushed = n.count;
        }
      },
    });
  }

  /** Counts one answered request; `route` is the router's pattern or "unmatched". */
  record(method: string, route: string, code: number, seconds: number, protocol: string): void {
    this.totalRequests += 1;
    this.totalLatency += seconds;
    this.statusCodes[code] = (this.statusCodes[code] ?? 0) + 1;
    const cell = this.cellOf(method, route);
    const byCode = cell.codes.get(code);
    if (byCode) byCode.count += 1;
    else cell.codes.set(code, { count: 1, flushed: 0 });
    let bucket = 0;
    while (bucket < BUCKETS.length && seconds > BUCKETS[bucket]!) bucket += 1;
    cell.buckets[bucket]! += 1;
    cell.sum += seconds;
    cell.count += 1;
    const byProtocol = this.byProtocol.get(protocol);
    if (byProtocol) byProtocol.count += 1;
    else this.byProtocol.set(protocol, { count: 1, flushed: 0 });
  }

  private cellOf(method: string, route: string): RouteCell {
    let byMethod = this.byRoute.get(route);
    if (!byMethod) this.byRoute.set(route, (byMethod = new Map()));
    let cell = byMethod.get(method);
    if (!cell) {
      cell = {
        labels: { method, route },
        codes: new Map(),
        buckets: new Float64Array(BUCKETS.length + 1),
        sum: 0,
        count: 0,
      };
      byMethod.set(method, cell);
      this.cells.push(cell);
    }
    return cell;
  }
}
