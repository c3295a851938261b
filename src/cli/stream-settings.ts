import type { CreateStreamOptions, StreamDescription } from "../client/index.js";

/** A stream's settings as its brokers apply them (its own, else the broker defaults). */
export interface StreamSettings {
  retentionMaxBytes: number | null;
  retentionMaxMessages: number | null;
  retentionMaxAgeMs: number | null;
  cleanerIntervalMs: number | null;
  segmentMaxBytes: number | null;
  segmentMaxAgeMs: number | null;
  compactEnabled: boolean | null;
  compactMaxGoroutines: number | null;
  autoPauseTimeMs: number | null;
  autoPauseDisableIfSubscribers: boolean | null;
  minIsr: number | null;
  optimisticConcurrencyControl: boolean | null;
  encryption: boolean | null;
  syncPolicy: string | null;
  /** The settings the stream was created with; the rest are the answering broker's defaults. */
  own: string[];
}

type SettingKey = Exclude<keyof StreamSettings, "own">;

/** Wire field (CreateStreamRequest) → our name, and the create flag that sets it. */
const SETTINGS: readonly {
  key: SettingKey;
  wire: keyof StreamDescription["config"];
  flag: string;
  option: keyof CreateStreamOptions;
  duration?: boolean;
}[] = [
  {
    key: "retentionMaxBytes",
    wire: "retentionMaxBytes",
    flag: "retention-max-bytes",
    option: "retentionMaxBytes",
  },
  {
    key: "retentionMaxMessages",
    wire: "retentionMaxMessages",
    flag: "retention-max-messages",
    option: "retentionMaxMessages",
  },
  {
    key: "retentionMaxAgeMs",
    wire: "retentionMaxAge",
    flag: "retention-max-age",
    option: "retentionMaxAgeMs",
    duration: true,
  },
  {
    key: "cleanerIntervalMs",
    wire: "cleanerInterval",
    flag: "cleaner-interval",
    option: "cleanerIntervalMs",
    duration: true,
  },
  {
    key: "segmentMaxBytes",
    wire: "segmentMaxBytes",
    flag: "segment-max-bytes",
    option: "segmentMaxBytes",
  },
  {
    key: "segmentMaxAgeMs",
    wire: "segmentMaxAge",
    flag: "segment-max-age",
    option: "segmentMaxAgeMs",
    duration: true,
  },
  { key: "compactEnabled", wire: "compactEnabled", flag: "compact", option: "compactEnabled" },
  {
    key: "compactMaxGoroutines",
    wire: "compactMaxGoroutines",
    flag: "compact-max-goroutines",
    option: "compactMaxGoroutines",
  },
  {
    key: "autoPauseTimeMs",
    wire: "autoPauseTime",
    flag: "auto-pause-time",
    option: "autoPauseTimeMs",
    duration: true,
  },
  {
    key: "autoPauseDisableIfSubscribers",
    wire: "autoPauseDisableIfSubscribers",
    flag: "auto-pause-disable-if-subscribers",
    option: "autoPauseDisableIfSubscribers",
  },
  { key: "minIsr", wire: "minIsr", flag: "min-isr", option: "minIsr" },
  {
    key: "optimisticConcurrencyControl",
    wire: "optimisticConcurrencyControl",
    flag: "optimistic-concurrency-control",
    option: "optimisticConcurrencyControl",
  },
  { key: "encryption", wire: "encryption", flag: "encryption", option: "encryption" },
];

export function streamSettings(description: StreamDescription): StreamSettings {
  const settings = { own: [] as string[] } as unknown as StreamSettings;
  const values = settings as unknown as Record<string, unknown>;
  for (const s of SETTINGS) {
    const own = description.config[s.wire];
    const effective = description.effective?.[s.wire] ?? own;
    values[s.key] = effective ?? null;
    if (own !== undefined) settings.own.push(s.key);
  }
  settings.syncPolicy = description.effectiveSyncPolicy || description.syncPolicy || null;
  if (description.syncPolicy) settings.own.push("syncPolicy");
  return settings;
}

/** Milliseconds as a Go-style duration: 0, 500ms, 90s → 1m30s, 86400000 → 24h. */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return "0";
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
    ["ms", 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join("");
}

const yesNo = (value: boolean | null) => (value === null ? "-" : value ? "yes" : "no");

/** Retention limits in one cell: "24h,1000msgs,1048576B", or "none". */
export function retentionText(s: StreamSettings): string {
  const limits: string[] = [];
  if (s.retentionMaxAgeMs) limits.push(formatDurationMs(s.retentionMaxAgeMs));
  if (s.retentionMaxMessages) limits.push(`${s.retentionMaxMessages}msgs`);
  if (s.retentionMaxBytes) limits.push(`${s.retentionMaxBytes}B`);
  return limits.length ? limits.join(",") : "none";
}

export const SETTINGS_TABLE_HEADERS = [
  "RETENTION",
  "COMPACT",
  "SYNC",
  "ENCRYPTED",
  "MIN ISR",
  "OCC",
];

export function settingsTableCells(s: StreamSettings | undefined): string[] {
  if (!s) return SETTINGS_TABLE_HEADERS.map(() => "?");
  return [
    retentionText(s),
    yesNo(s.compactEnabled),
    s.syncPolicy ?? "-",
    yesNo(s.encryption),
    s.minIsr === null ? "-" : String(s.minIsr),
    yesNo(s.optimisticConcurrencyControl),
  ];
}

/** Every setting on one line for lb describe STREAM; "*" marks the stream's own. */
export function settingsLine(s: StreamSettings): string {
  const mark = (key: string) => (s.own.includes(key) ? "*" : "");
  const value = (key: SettingKey, duration?: boolean) => {
    const v = s[key];
    if (v === null) return "-";
    if (typeof v === "boolean") return yesNo(v);
    return duration && typeof v === "number" ? formatDurationMs(v) : String(v);
  };
  const fields = SETTINGS.map((d) => `${d.flag}=${value(d.key, d.duration)}${mark(d.key)}`);
  fields.push(`sync-policy=${s.syncPolicy ?? "-"}${mark("syncPolicy")}`);
  return `settings ${fields.join(" ")}`;
}

export interface SettingDifference {
  setting: string;
  existing: string;
  requested: string;
}

/** What `lb stream create --if-not-exists` asked for that the existing stream does not have. */
export function settingDifferences(
  requested: CreateStreamOptions & { subject: string; partitions: number; group?: string },
  description: StreamDescription,
  replicationFactor: number | undefined,
): SettingDifference[] {
  const differences: SettingDifference[] = [];
  const config = description.config;
  const add = (setting: string, existing: unknown, asked: unknown) => {
    if (asked !== undefined && existing !== asked) {
      differences.push({ setting, existing: String(existing), requested: String(asked) });
    }
  };
  add("subject", config.subject, requested.subject);
  add("partitions", config.partitions, requested.partitions);
  add("group", config.group, requested.group);
  if (replicationFactor !== undefined && replicationFactor !== -1) {
    add("replication-factor", config.replicationFactor, replicationFactor);
  }
  const settings = streamSettings(description);
  for (const d of SETTINGS) {
    const asked = requested[d.option];
    if (asked === undefined) continue;
    const existing = settings[d.key];
    if (existing === asked) continue;
    const show = (v: unknown) =>
      d.duration && typeof v === "number"
        ? formatDurationMs(v)
        : typeof v === "boolean"
          ? yesNo(v)
          : String(v ?? "-");
    differences.push({ setting: d.flag, existing: show(existing), requested: show(asked) });
  }
  if (requested.syncPolicy !== undefined && requested.syncPolicy !== settings.syncPolicy) {
    differences.push({
      setting: "sync-policy",
      existing: settings.syncPolicy ?? "-",
      requested: requested.syncPolicy,
    });
  }
  return differences;
}
