/**
 * A minimal Prometheus registry (counters and gauges with labels, text exposition format 0.0.4):
 * the agents need a handful of series, not a metrics library.
 */
type Labels = Readonly<Record<string, string>>;

interface Series {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly values: Map<string, { labels: Labels; value: number }>;
}

function key(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

function escape(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export class MetricsRegistry {
  private readonly series = new Map<string, Series>();

  private get(name: string, help: string, type: Series['type']): Series {
    let s = this.series.get(name);
    if (s === undefined) {
      s = { name, help, type, values: new Map() };
      this.series.set(name, s);
    }
    return s;
  }

  /** A counter: `inc(labels)` adds one (or `by`). */
  counter(name: string, help: string): { inc(labels?: Labels, by?: number): void } {
    const s = this.get(name, help, 'counter');
    return {
      inc(labels = {}, by = 1) {
        const k = key(labels);
        const cur = s.values.get(k);
        s.values.set(k, { labels, value: (cur?.value ?? 0) + by });
      },
    };
  }

  /** A gauge: `set(value, labels)`; `reset()` drops every labelled value (for "current set" gauges). */
  gauge(name: string, help: string): { set(value: number, labels?: Labels): void; reset(): void } {
    const s = this.get(name, help, 'gauge');
    return {
      set(value, labels = {}) {
        s.values.set(key(labels), { labels, value });
      },
      reset() {
        s.values.clear();
      },
    };
  }

  /** The text exposition of every series, sorted by name and labels. */
  render(): string {
    const out: string[] = [];
    for (const s of [...this.series.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      out.push(`# HELP ${s.name} ${s.help}`, `# TYPE ${s.name} ${s.type}`);
      for (const [, v] of [...s.values.entries()].sort(([a], [b]) => a.localeCompare(b))) {
        const l = Object.entries(v.labels)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, x]) => `${k}="${escape(x)}"`)
          .join(',');
        out.push(`${s.name}${l === '' ? '' : `{${l}}`} ${v.value}`);
      }
    }
    return `${out.join('\n')}\n`;
  }
}
