"""The HTML report's stylesheet, inlined in the page: system fonts only, nothing fetched."""

from __future__ import annotations

CSS = """
:root { --fail: #c53030; --pass: #2f855a; --warn: #b7791f; --info: #2b6cb0; --line: #e2e8f0; }
* { box-sizing: border-box; }
body { margin: 0; background: #f7fafc; color: #1a202c;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 16px 20px 40px; }
header { display: flex; align-items: center; gap: 14px; padding: 14px 18px; border-radius: 8px;
  color: #fff; }
header.fail { background: var(--fail); } header.pass { background: var(--pass); }
header.info { background: var(--info); }
header h1 { font-size: 20px; margin: 0; font-weight: 600; }
.verdict { font-weight: 800; font-size: 15px; letter-spacing: .06em; padding: 3px 10px;
  border: 2px solid rgba(255,255,255,.85); border-radius: 5px; }
.sub { color: #4a5568; margin: 8px 2px 14px; }
h2 { font-size: 16px; margin: 0 0 10px; }
h2 code { font-size: 15px; font-weight: 700; }
table.runs, table.metrics { width: auto; min-width: 62%; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px;
  margin: 14px 0; }
section.regressions { border-left: 5px solid var(--fail); }
section.regressions ul { margin: 0; padding-left: 18px; }
section.regressions li { margin: 4px 0; }
code { font: 12.5px/1.3 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  overflow-wrap: break-word; }
.nb { white-space: nowrap; } small { color: #718096; }
a { color: inherit; text-decoration: none; } a:hover code { text-decoration: underline; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 6px 0 10px; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: right;
  font-variant-numeric: tabular-nums; white-space: nowrap; }
th { background: #edf2f7; font-weight: 600; }
table.overview th:first-child { width: 42%; }
th.t, td.t { text-align: left; } th:first-child, td:first-child { white-space: normal; }
tbody tr:hover { background: #f7fafc; }
.badge { display: inline-block; font-size: 12px; font-weight: 600; padding: 1px 8px;
  border-radius: 10px; white-space: nowrap; vertical-align: middle; }
.badge.fail { background: #fed7d7; color: #9b2c2c; } .badge.warn { background: #feebc8;
  color: #7b341e; } .badge.good { background: #c6f6d5; color: #22543d; }
.badge.info { background: #bee3f8; color: #2a4365; } .badge.plain { background: #edf2f7;
  color: #4a5568; }
.group { font-weight: 400; color: #718096; font-size: 13px; }
.bad { color: var(--fail); }
.plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 10px; }
figure { margin: 0; } figure svg { width: 100%; height: auto; display: block; }
.note { color: #4a5568; font-style: italic; margin: 6px 0; }
.plots-missing { background: #fffbea; border: 1px solid #f6e05e; padding: 8px 12px;
  border-radius: 6px; font-style: normal; color: #744210; }
dl.rules { margin: 4px 0 0; font-size: 13px; color: #2d3748; }
dl.rules dt { font-weight: 600; margin-top: 4px; } dl.rules dd { margin: 0 0 0 14px; }
ul.notes { margin: 6px 0 0; padding-left: 18px; color: #4a5568; font-size: 13px; }
"""
