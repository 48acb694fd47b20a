package main

import (
	"fmt"
	"html/template"
	"io"
)

// The page is well-formed XML as well as HTML (void elements closed, no named entities, no
// '<' or '&' in the script) so that tests can check its structure with encoding/xml.

// traceStepWidth is the step column's width in pixels.
const traceStepWidth = 54

// traceTemplate draws a traceView. html/template escapes every string from the execution
// (program text, thread and object names, report details).
var traceTemplate = template.Must(template.New("trace").Funcs(template.FuncMap{
	"stepWidth": func() int { return traceStepWidth },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>sockfuzz trace: {{.File}}</title>
<style>
body{margin:0;font:13px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;background:#fff}
header{display:grid;grid-template-columns:minmax(360px,5fr) minmax(280px,4fr) minmax(260px,3fr);gap:14px;padding:10px 14px 12px;border-bottom:1px solid #bbb;background:#f7f7f7}
h1{font-size:17px;margin:0 0 4px;font-weight:600}
h1 .file{font:15px ui-monospace,Menlo,Consolas,monospace}
h2{font-size:11px;margin:8px 0 3px;color:#666;text-transform:uppercase;letter-spacing:.06em}
.verdict{display:inline-block;padding:0 8px;border-radius:3px;color:#fff;font-size:13px;margin-left:6px}
.ok{background:#2e7d32}.bad{background:#c62828}
.summary,.notice{margin:2px 0;color:#444}
.notice{background:#fff3cd;padding:2px 6px;border-radius:3px}
ol.reports{margin:4px 0;padding-left:22px}
ol.reports li{margin-bottom:5px}
ol.reports .title{font-weight:600;color:#b71c1c}
.oracle{color:#666;font-size:12px}
.detail,.access{font:12px/1.35 ui-monospace,Menlo,Consolas,monospace;color:#333;white-space:pre-wrap}
.where{font-size:12px;color:#555}
pre.src{margin:0;white-space:pre-wrap;overflow-wrap:anywhere;font:12px/1.35 ui-monospace,Menlo,Consolas,monospace;max-height:300px;overflow:auto;background:#fff;border:1px solid #ddd;padding:6px 8px}
.calls{max-height:300px;overflow:auto;background:#fff;border:1px solid #ddd}
.calls table{border-collapse:collapse;font:12px/1.35 ui-monospace,Menlo,Consolas,monospace;width:100%}
.calls td{padding:1px 6px;border-bottom:1px solid #eee;white-space:nowrap}
.calls td.r{color:#555}
.key{padding:6px 14px 4px;font-size:12px;color:#333;border-bottom:1px solid #ddd}
ul.legend,ul.locks{list-style:none;margin:0;padding:0}
ul.legend li,ul.locks li{display:inline-block;margin:1px 16px 2px 0}
ul.locks li{margin-right:10px;font:11.5px ui-monospace,Menlo,Consolas,monospace}
ul.locks li.lh{font:600 11px system-ui,sans-serif;color:#666;text-transform:uppercase;letter-spacing:.06em}
.sw{display:inline-block;width:22px;height:12px;vertical-align:-1px;margin-right:5px;border-radius:2px;position:relative}
.sw.lk{width:5px}
.sw.mv{background:#ffcdd2;box-shadow:inset 0 0 0 2px #c62828}
.sw.mr{background:#ffe0a0;box-shadow:inset 0 0 0 2px #e08000}
.sw.nt{background:#c62828}
.sw.hb{width:5px;background:#1f77b4}
.sw.wb{width:5px;background:#1f77b4;opacity:.3}
.elided{margin:0;padding:4px 14px;color:#555;background:#fff3cd;font-size:12px}
table.trace{width:100%;border-collapse:collapse;table-layout:fixed;font:11px/17px ui-monospace,Menlo,Consolas,monospace;margin:0 0 40px}
table.trace th{position:sticky;top:0;z-index:3;padding:3px 6px;text-align:left;font:600 12px system-ui,sans-serif;border-bottom:2px solid #999;border-left:1px solid #ccc;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
table.trace th.step{background:#eee;text-align:right;border-left:0;left:0;z-index:4}
th.g-proc{background:#d6e4ff}th.g-script{background:#e6dcff}th.g-netisr{background:#d7f0da}th.g-wire{background:#ffe6c4}th.g-clock{background:#f3dcef}th.g-reaper,th.g-other{background:#e6e6e6}
th .grp{font-weight:400;color:#666;font-size:10.5px;margin-left:4px}
table.trace td{height:17px;padding:0 4px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;position:relative;border-left:1px solid #eee}
table.trace td.step{color:#999;text-align:right;border-left:0;padding-right:6px;position:sticky;left:0;z-index:1;background:#fff}
tr.ev:nth-child(10n) td{border-bottom:1px solid #f0f0f0}
tr.ev:hover td{background:#f0f4ff}
table.trace tr.viol td{background:#fff0f0}
td.ev{cursor:default}
td.mv{background:#ffcdd2 !important;box-shadow:inset 0 0 0 2px #c62828;font-weight:600}
td.mr{background:#ffe0a0 !important;box-shadow:inset 0 0 0 2px #e08000}
table.trace td.mv,table.trace td.mr{white-space:normal;overflow-wrap:anywhere;padding-top:1px;padding-bottom:1px}
tr.note td{background:#c62828;color:#fff;font:600 12px/20px system-ui,sans-serif;padding:1px 8px;white-space:normal}
tr.note td.step{background:#c62828}
.k-lk{color:#6a1b9a}.k-bl{color:#999;font-style:italic}.k-wk{color:#00838f}.k-msg{color:#1565c0}
.k-mem{color:#111;font-weight:600}.k-at{color:#555}.k-tm{color:#8d5524}.k-th{color:#2e7d32}
.b{display:inline-block;padding:0 4px;margin-right:4px;border-radius:2px;color:#fff;font:600 10px/14px system-ui,sans-serif;text-decoration:none;font-style:normal}
.bv{background:#c62828}.br{background:#e08000}
i.bar{position:absolute;top:0;bottom:0;width:4px}
i.bar.top{top:3px;border-radius:2px 2px 0 0}i.bar.bot{bottom:3px;border-radius:0 0 2px 2px}i.bar.top.bot{border-radius:2px}
i.bar.wait{opacity:.3}
i.bar.open{bottom:0;border-bottom:2px dotted #000}
.s0{left:2px}.s1{left:7px}.s2{left:12px}.s3{left:17px}.s4{left:22px}.s5{left:27px}
.p1{padding-left:10px!important}.p2{padding-left:15px!important}.p3{padding-left:20px!important}.p4{padding-left:25px!important}.p5{padding-left:30px!important}.p6{padding-left:35px!important}
.c0{background:#1f77b4}.c1{background:#ff7f0e}.c2{background:#2ca02c}.c3{background:#d62728}.c4{background:#9467bd}
.c5{background:#8c564b}.c6{background:#e377c2}.c7{background:#7f7f7f}.c8{background:#bcbd22}.c9{background:#17becf}
td.hl{background:#fff59d !important}
i.bar.hl{box-shadow:0 0 0 1.5px #000;opacity:1}
ul.locks li.hl{background:#fff59d}
</style>
</head>
<body>
<header>
<div>
<h1>sockfuzz trace <span class="file">{{.File}}</span><span class="verdict {{if .Failed}}bad{{else}}ok{{end}}">{{.Verdict}}</span></h1>
<p class="summary">{{.Summary}}</p>
{{- if .Note}}
<p class="notice">{{.Note}}</p>
{{- end}}
{{- if .Reports}}
<ol class="reports">
{{- range .Reports}}
<li id="r{{.N}}"><a class="title" href="{{.Href}}">{{.Title}}</a> <span class="oracle">[{{.Oracle}}]</span>
<div class="detail">{{.Detail}}</div>
<div class="where">R{{.N}}, {{.Where}}</div>
{{- if .Prev}}
<div class="access">earlier: {{if .PrevHref}}<a href="{{.PrevHref}}">{{.Prev}}</a>{{else}}{{.Prev}}{{end}}</div>
<div class="access">later: {{if .CurHref}}<a href="{{.CurHref}}">{{.Cur}}</a>{{else}}{{.Cur}}{{end}}</div>
{{- end}}
</li>
{{- end}}
</ol>
{{- end}}
{{- range .Offstage}}
<p class="notice">{{.}}</p>
{{- end}}
</div>
<div>
<h2>Program</h2>
<pre class="src">{{.Source}}</pre>
</div>
<div>
<h2>Calls</h2>
<div class="calls"><table>
{{- range .Calls}}
<tr><td>{{.Proc}}</td><td>{{.Call}}</td><td class="r">{{.Result}}</td></tr>
{{- end}}
</table></div>
</div>
</header>
<main>
<div class="key">
<ul class="legend">
<li><span class="sw mv"></span>where an oracle fired (R1, R2: the reports above)</li>
<li><span class="sw mr"></span>a data race's two accesses (1st, 2nd)</li>
<li><span class="sw nt"></span>a report seen between events</li>
<li><span class="sw hb"></span>lock held, a colour per lock <span class="sw wb"></span>requested, not held yet (blocked or preempted); a dotted foot: still held at the end</li>
<li>hover: the same object everywhere; a cell's title gives its step and full text</li>
</ul>
{{- if .Locks}}
<ul class="locks"><li class="lh">locks:</li>
{{- range .Locks}}
<li data-o="{{.Obj}}"><span class="sw lk c{{.Color}}"></span>{{.Name}}</li>
{{- end}}
</ul>
{{- end}}
</div>
{{- if .Elided}}
<p class="elided">{{.Elided}} earlier events are not drawn: the rows start at step {{.FirstStep}}. Draw more with -events N.</p>
{{- end}}
<table class="trace" style="min-width:{{.Width}}px">
<colgroup><col style="width:{{stepWidth}}px"/>{{range .Cols}}<col style="width:{{.Width}}px"/>{{end}}</colgroup>
<thead><tr><th class="step">step</th>{{range .Cols}}<th class="th g-{{.Group}}" title="{{.Name}} ({{.Group}})">{{.Name}}</th>{{end}}</tr></thead>
<tbody>
{{- range .Rows}}
{{- if .Note}}
<tr id="{{.ID}}" class="{{.Class}}"><td class="step"></td><td colspan="{{len $.Cols}}">{{.Note}}</td></tr>
{{- else}}
<tr id="{{.ID}}" class="{{.Class}}"><td class="step">{{.Step}}</td>
{{- range .Cells}}<td{{if .Class}} class="{{.Class}}"{{end}}{{if .Title}} title="{{.Title}}"{{end}}{{if .Obj}} data-o="{{.Obj}}"{{end}}>
{{- range .Bars}}<i class="{{.Class}}" title="{{.Lock}}" data-o="{{.Obj}}"></i>{{end}}
{{- range .Badges}}{{if .Href}}<a class="b {{.Class}}" href="{{.Href}}" title="{{.Title}}">{{.Text}}</a>{{else}}<span class="b {{.Class}}" title="{{.Title}}">{{.Text}}</span>{{end}}{{end}}
{{- .Text}}</td>{{end}}</tr>
{{- end}}
{{- end}}
</tbody>
</table>
</main>
<script>
(function(){
  var lit=[];
  document.addEventListener('mouseover',function(e){
    var t=e.target.closest('[data-o]');
    lit.forEach(function(x){x.classList.remove('hl')});
    lit=[];
    if(!t)return;
    lit=Array.prototype.slice.call(document.querySelectorAll('[data-o="'+t.getAttribute('data-o')+'"]'));
    lit.forEach(function(x){x.classList.add('hl')});
  });
})();
</script>
</body>
</html>
`))

// writeTraceHTML renders v.
func writeTraceHTML(w io.Writer, v *traceView) error {
	if err := traceTemplate.Execute(w, v); err != nil {
		return fmt.Errorf("trace view: %w", err)
	}
	return nil
}
