// The ECharts pieces the reports draw with, registered once: line and bar (the trend, the
// groups, the hot words) and pie (the channels), on canvas. Only these are bundled into the
// reports' chunk (tree-shaken imports from echarts/*, as MonitorView does).
import { BarChart, LineChart, PieChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { use } from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";

use([BarChart, LineChart, PieChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer]);

export { default as VChart } from "vue-echarts";

/** What a click on a chart's item hands over (the part of ECharts' event we read). */
export interface ChartClick {
  dataIndex: number;
  name?: string;
}
