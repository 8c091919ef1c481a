"""A signboard's public page (what its QR code opens): the river and stretch, the current
chiefs of that stretch (name, level, post; never a person's phone: only the office's
supervision number when configured), and a form to report a problem without an account.

Plain HTML with its style and a few lines of script inline: no external file at all, so the
page opens on an intranet and sends nothing anywhere but back to this service. Every value
from the database or the rules goes through :func:`html.escape`.
"""

from __future__ import annotations

from html import escape

from gis_service.domain.signboards import ListedChief, SignboardRules
from gis_service.domain.vocab import (
    LEVEL_LABELS,
    POST_ROLE_LABELS,
    PROBLEM_CATEGORY_LABELS,
    PROBLEM_SOURCE_LABELS,
    PROBLEM_STATUS_LABELS,
)
from gis_service.records.problems import ProblemRecord
from gis_service.services.signboards import BoardView

_STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;color:#1b1b1b;
 background:#f4f6f8}
header{background:#08306b;color:#fff;padding:12px 16px}
header h1{font-size:20px;margin:0 0 4px}
header p{margin:0;color:#deebf7;font-size:14px}
main{max-width:720px;margin:0 auto;padding:12px 16px}
section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px 14px;
 margin:12px 0}
h2{font-size:17px;margin:0 0 8px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 4px;border-bottom:1px solid #eee;font-size:15px}
.phone{font-size:18px;font-weight:bold}
label{display:block;margin:10px 0 4px;font-weight:bold}
textarea,select,input[type=text],input[type=number]{width:100%;box-sizing:border-box;
 font-size:16px;padding:6px}
button{font-size:17px;padding:8px 18px;margin-top:12px;background:#08519c;color:#fff;
 border:0;border-radius:4px}
.hint{color:#555;font-size:13px}
#result{margin-top:10px;font-weight:bold}
#result.error{color:#b30000}
#result.ok{color:#006d2c}
footer{color:#666;font-size:12px;padding:8px 16px;text-align:center}
"""

_SCRIPT = """
(function () {
  var form = document.getElementById('report-form');
  var result = document.getElementById('result');
  document.getElementById('locate').addEventListener('click', function () {
    if (!navigator.geolocation) { return; }
    navigator.geolocation.getCurrentPosition(function (p) {
      form.lon.value = p.coords.longitude.toFixed(6);
      form.lat.value = p.coords.latitude.toFixed(6);
    });
  });
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    result.className = ''; result.textContent = '正在提交…';
    fetch(form.action, {method: 'POST', body: new FormData(form),
                        headers: {'Accept': 'application/json'}})
      .then(function (r) { return r.json().then(function (b) { return [r.status, b]; }); })
      .then(function (a) {
        if (a[0] === 201) {
          result.className = 'ok';
          result.textContent = a[1].message;
          form.reset();
        } else {
          result.className = 'error';
          result.textContent = '未能提交：' + (a[1].detail || a[0]);
        }
      })
      .catch(function () {
        result.className = 'error'; result.textContent = '网络错误，请稍后再试';
      });
  });
})();
"""


def _chief_rows(chiefs: list[ListedChief], region_names: dict[str, str]) -> str:
    if not chiefs:
        return '<tr><td colspan="3">暂无河湖长信息</td></tr>'
    return "".join(
        "<tr>"
        f"<td>{escape(LEVEL_LABELS[c.level])}{escape(POST_ROLE_LABELS[c.role])}</td>"
        f"<td>{escape(c.name)}</td>"
        f"<td>{escape(region_names.get(c.region_code, c.region_code))}</td>"
        "</tr>"
        for c in chiefs
    )


def board_page(
    view: BoardView, region_names: dict[str, str], rules: SignboardRules, action: str
) -> str:
    """The page of one board; ``action``: the URL its form posts the report to."""
    b = view.board
    stretch = f"{b.water_name} · {region_names.get(b.region_code, b.region_name)}段"
    phone = (
        f'<p>监督电话：<span class="phone" id="supervision-phone">'
        f"{escape(rules.supervision_phone)}</span></p>"
        if rules.supervision_phone
        else ""
    )
    options = "".join(
        f'<option value="{escape(k)}"{" selected" if k == "other" else ""}>{escape(v)}</option>'
        for k, v in PROBLEM_CATEGORY_LABELS.items()
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{escape(b.name)} · 河湖长公示牌</title>
<style>{_STYLE}</style></head>
<body>
<header><h1>{escape(b.name)}</h1><p id="stretch">{escape(stretch)}</p></header>
<main>
<section id="chiefs"><h2>本河段河湖长（截至 {view.day.isoformat()}）</h2>
<table><thead><tr><th>职务</th><th>姓名</th><th>责任区域</th></tr></thead>
<tbody>{_chief_rows(view.current, region_names)}</tbody></table>
{phone}
<p class="hint">公示牌编号 {escape(b.code)}；河段 {escape(b.segment_id)}。
河湖长接受社会监督（河长制公示，{escape(rules.office_name)}）。</p>
</section>
<section id="report"><h2>问题举报</h2>
<p class="hint">发现乱占、乱采、乱堆、乱建、排污等问题，请在此举报；无需注册。
举报交{escape(rules.office_name)}受理、交办并记录处理结果。</p>
<form id="report-form" method="post" action="{escape(action)}" enctype="multipart/form-data">
<label for="text">问题描述（必填）</label>
<textarea id="text" name="text" rows="4" maxlength="{rules.max_text_chars}" required></textarea>
<label for="category">问题类型</label>
<select id="category" name="category">{options}</select>
<label for="photo">照片（可选，JPEG 或 PNG，不超过 {rules.max_photo_bytes // 1_000_000} MB）</label>
<input id="photo" name="photo" type="file" accept="image/jpeg,image/png">
<label>位置（可选，经纬度 WGS84）</label>
<input id="lon" name="lon" type="number" step="any" placeholder="经度，如 109.2">
<input id="lat" name="lat" type="number" step="any" placeholder="纬度，如 21.6">
<button type="button" id="locate">使用我的位置</button>
<label for="contact">联系方式（可选，仅河长办可见）</label>
<input id="contact" name="contact" type="text" maxlength="200">
<button type="submit" id="submit">提交举报</button>
<div id="result" role="status"></div>
</form>
</section>
</main>
<footer>{escape(rules.office_name)} · 河湖长制公示</footer>
<script>{_SCRIPT}</script>
</body></html>
"""


def report_done_page(problem: ProblemRecord, board_code: str) -> str:
    """The answer to a report sent without the page's script (a plain form post)."""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>举报已受理</title><style>{_STYLE}</style></head>
<body><header><h1>举报已受理</h1></header><main><section>
<p>{escape(report_message(problem))}</p>
<p>来源：{escape(PROBLEM_SOURCE_LABELS[problem.source])}；类型：
{escape(PROBLEM_CATEGORY_LABELS[problem.category])}；状态：
{escape(PROBLEM_STATUS_LABELS[problem.status])}</p>
<p><a href="/boards/{escape(board_code)}">返回公示牌</a></p>
</section></main></body></html>
"""


def report_message(problem: ProblemRecord) -> str:
    return f"举报已受理，编号 {problem.id[:8]}。河长办将交办处理并记录结果。"
