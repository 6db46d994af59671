// The reports page's state: the filters (the page keeps them in the URL and hands them
// here), each report's answer with its loading and error, the trend's metric and interval,
// the drill-down (the conversations behind a clicked number, paginated) and exports.
// A report answers only the newest request of its kind: an older answer arriving late is
// dropped, so a quick change of filters never shows the previous period's numbers.
import { defineStore } from "pinia";
import { reactive, ref } from "vue";

import { ApiError } from "@/api/http";
import {
  exportReport,
  reportsApi,
  type AgentsReport,
  type Breakdown,
  type ConversationPage,
  type DrillQuery,
  type ExportFormat,
  type ExportKind,
  type Extra,
  type HotWords,
  type Interval,
  type Overview,
  type ReportFilters,
  type Series,
  type SeriesMetric,
} from "@/api/reports";
import { defaultFilters, scoped, todayIn, type Scope, type Tab } from "@/components/reports/filters";

export interface Section<T> {
  data: T | null;
  loading: boolean;
  error: string | null;
}

function section<T>(): Section<T> {
  return reactive({ data: null, loading: false, error: null }) as Section<T>;
}

function messageOf(e: unknown): string {
  return e instanceof ApiError || e instanceof Error ? e.message : String(e);
}

export const PER_PAGE = 20;

export const useReports = defineStore("reports", () => {
  const filters = ref<ReportFilters>(defaultFilters(todayIn(null)));
  /** The tenant's report time zone (GET /tenant/reports/settings), once read; null: not
   * known (the browser's zone counts "today" then). */
  const timezone = ref<string | null>(null);

  const overview = section<Overview>();
  const byChannel = section<Breakdown>();
  const byGroup = section<Breakdown>();
  const series = section<Series>();
  const agents = section<AgentsReport>();
  const hotWords = section<HotWords>();
  const seriesMetric = ref<SeriesMetric>("conversations");
  const interval = ref<Interval>("day");
  const hotLimit = ref(20);

  const seqs = new Map<object, number>();
  async function fill<T>(s: Section<T>, load: () => Promise<T>): Promise<void> {
    const mine = (seqs.get(s) ?? 0) + 1;
    seqs.set(s, mine);
    s.loading = true;
    s.error = null;
    try {
      const data = await load();
      if (seqs.get(s) === mine) s.data = data;
    } catch (e) {
      if (seqs.get(s) === mine) {
        s.data = null;
        s.error = messageOf(e);
      }
    } finally {
      if (seqs.get(s) === mine) s.loading = false;
    }
  }

  let timezoneRead: Promise<string | null> | null = null;
  function loadTimezone(): Promise<string | null> {
    timezoneRead ??= reportsApi
      .settings()
      .then((s) => (timezone.value = s.timezone))
      .catch(() => null);
    return timezoneRead;
  }

  // Which filters each tab last loaded, so switching tabs reloads only what is stale.
  let loadedFor: Partial<Record<Tab, string>> = {};
  const key = () => JSON.stringify(filters.value);

  /** Everything loaded is old (the page opens again): each tab reloads when shown. */
  function forget(): void {
    loadedFor = {};
    drill.open = false;
  }

  function setFilters(f: ReportFilters): void {
    filters.value = f;
  }

  function loadSeries(): Promise<void> {
    const f = filters.value;
    return fill(series, () => reportsApi.series(f, seriesMetric.value, interval.value));
  }

  function loadHotWords(): Promise<void> {
    const f = filters.value;
    return fill(hotWords, () => reportsApi.hotWords(f, hotLimit.value));
  }

  async function loadTab(tab: Tab, force = false): Promise<void> {
    if (!force && loadedFor[tab] === key()) return;
    loadedFor[tab] = key();
    const f = filters.value;
    if (tab === "overview") {
      await Promise.all([
        fill(overview, () => reportsApi.overview(f)),
        fill(byChannel, () => reportsApi.breakdown(f, "channel")),
        fill(byGroup, () => reportsApi.breakdown(f, "group")),
        loadSeries(),
      ]);
    } else if (tab === "agents") {
      await fill(agents, () => reportsApi.agents(f));
    } else {
      await loadHotWords();
    }
  }

  // The drill-down ------------------------------------------------------------------------

  const drill = reactive({
    open: false,
    label: "",
    query: null as DrillQuery | null,
    scope: null as Scope | null,
    page: 1,
  });
  const drillPage = section<ConversationPage>();

  /** The filters of the open drill-down: the page's, narrowed to the clicked row or day. */
  function drillFilters(): ReportFilters {
    return scoped(filters.value, drill.scope);
  }

  function loadDrill(page = drill.page): Promise<void> {
    const query = drill.query;
    if (!query) return Promise.resolve();
    drill.page = page;
    const f = drillFilters();
    return fill(drillPage, () => reportsApi.conversations(f, query, page, PER_PAGE));
  }

  function openDrill(query: DrillQuery, label: string, scope: Scope | null = null): Promise<void> {
    drill.query = query;
    drill.label = label;
    drill.scope = scope;
    drill.open = true;
    drillPage.data = null;
    return loadDrill(1);
  }

  // Exports ---------------------------------------------------------------------------------

  const exporting = ref<string | null>(null);
  const exportError = ref<string | null>(null);

  async function runExport(kind: ExportKind, format: ExportFormat, f: ReportFilters, extra: Extra = {}): Promise<void> {
    exporting.value = `${kind}.${format}`;
    exportError.value = null;
    try {
      await exportReport(kind, f, format, extra);
    } catch (e) {
      exportError.value = messageOf(e);
    } finally {
      exporting.value = null;
    }
  }

  /** A tab's export: the overview, the agents table or the hot words, with the filters. */
  function exportTab(tab: Tab, format: ExportFormat): Promise<void> {
    if (tab === "agents") return runExport("agents", format, filters.value);
    if (tab === "hotwords") return runExport("hot-words", format, filters.value, { limit: hotLimit.value });
    return runExport("overview", format, filters.value);
  }

  /** The trend as shown: its metric and interval. */
  function exportSeries(format: ExportFormat): Promise<void> {
    return runExport("series", format, filters.value, { metric: seriesMetric.value, interval: interval.value });
  }

  /** Every conversation behind the open drill-down. */
  function exportDrill(format: ExportFormat): Promise<void> {
    const q = drill.query;
    if (!q) return Promise.resolve();
    return runExport("conversations", format, drillFilters(), { metric: q.metric, term: q.term, hour: q.hour });
  }

  return {
    filters,
    timezone,
    overview,
    byChannel,
    byGroup,
    series,
    agents,
    hotWords,
    seriesMetric,
    interval,
    hotLimit,
    drill,
    drillPage,
    exporting,
    exportError,
    loadTimezone,
    setFilters,
    forget,
    loadTab,
    loadSeries,
    loadHotWords,
    openDrill,
    loadDrill,
    drillFilters,
    exportTab,
    exportSeries,
    exportDrill,
  };
});
