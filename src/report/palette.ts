// Chart styling shared by the figures: one font, one palette, no chart chrome.
export const QUERY_PASSAGE = { domain: ['query', 'passage'], range: ['#2458a6', '#e07b39'] };

export const CHART_CONFIG = {
  font: 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif',
  view: { stroke: '#d9d9de' },
  axis: { labelColor: '#444', titleColor: '#1d1d1f', gridColor: '#eeeef1', titleFontWeight: 500 },
  legend: { labelColor: '#444', titleColor: '#1d1d1f', titleFontWeight: 500, labelLimit: 320, symbolOpacity: 1 },
  header: { labelFontSize: 12, labelFontWeight: 600 },
  range: { category: ['#2458a6', '#e07b39', '#1a7f37', '#b3261e', '#7b4fb5', '#8c6d1f', '#0f8a8a', '#c2477f'] },
};
