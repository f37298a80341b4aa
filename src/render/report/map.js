// The report's map: grids coloured by households, workload or coverage, with roads, barriers, micro-grids and
// the names of streets and communities; search by grid id, community, building or compound name; click a grid
// for its figures in words. Everything comes from the embedded JSON: the page makes no request.
window.onerror = function (m) { document.body.dataset.error = String(m); };
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('mapdata').textContent);
  var canvas = document.getElementById('map'), ctx = canvas.getContext('2d');
  var info = document.getElementById('info'), legend = document.getElementById('legend');
  var body = document.body;
  var fmt = function (n) { return Number(n).toLocaleString('zh-CN'); };

  // Rings are whole metres, delta-encoded: [x0, y0, dx, dy, ...]. Paths are built once, in metres.
  function addRing(path, flat, close) {
    var x = 0, y = 0;
    for (var i = 0; i < flat.length; i += 2) {
      x += flat[i]; y += flat[i + 1];
      if (i === 0) path.moveTo(x, y); else path.lineTo(x, y);
    }
    if (close) path.closePath();
  }
  function polyPath(rings) { var p = new Path2D(); rings.forEach(function (r) { addRing(p, r, true); }); return p; }
  function bbox(rings) {
    var b = [Infinity, Infinity, -Infinity, -Infinity];
    rings.forEach(function (flat) { var x = 0, y = 0;
      for (var i = 0; i < flat.length; i += 2) { x += flat[i]; y += flat[i + 1];
        b[0] = Math.min(b[0], x); b[1] = Math.min(b[1], y); b[2] = Math.max(b[2], x); b[3] = Math.max(b[3], y); } });
    return b;
  }
  var grids = D.grids, all = [Infinity, Infinity, -Infinity, -Infinity];
  grids.forEach(function (g, i) {
    g.index = i; g.path = polyPath(g.g); g.bbox = bbox(g.g);
    all = [Math.min(all[0], g.bbox[0]), Math.min(all[1], g.bbox[1]), Math.max(all[2], g.bbox[2]), Math.max(all[3], g.bbox[3])];
    g.search = [g.id, g.code, g.street, g.community || '', g.names, g.d || ''].join('\n').toLowerCase();
  });
  if (!isFinite(all[0])) all = [0, 0, 1, 1];
  D.micro.forEach(function (m) { m.path = polyPath(m.g); });
  function linePaths(items, classes) {
    var paths = classes.map(function () { return new Path2D(); });
    items.forEach(function (it) { addRing(paths[it[0]], it[1], false); });
    return paths;
  }
  var roadPaths = linePaths(D.roads, D.road_classes), barrierPaths = linePaths(D.barriers, D.barrier_classes);
  var MAJOR_ROAD = /^(motorway|trunk|primary|secondary|tertiary)/;

  // Colour modes and their classes; a legend entry switches its class on or off.
  var band = D.band, limits = D.status_limits;
  var modes = [{ key: 'hh', name: '户数', classes: [
      { name: '少于 ' + band[0] + ' 户', colour: '#9ecae1', test: function (g) { return !g.d && g.hh < band[0]; } },
      { name: band[0] + '–' + Math.floor((band[0] + band[1]) / 2) + ' 户', colour: '#a1d99b', test: function (g) { return !g.d && g.hh >= band[0] && g.hh <= (band[0] + band[1]) / 2; } },
      { name: Math.floor((band[0] + band[1]) / 2) + 1 + '–' + band[1] + ' 户', colour: '#31a354', test: function (g) { return !g.d && g.hh > (band[0] + band[1]) / 2 && g.hh <= band[1]; } },
      { name: '多于 ' + band[1] + ' 户', colour: '#f03b20', test: function (g) { return !g.d && g.hh > band[1]; } },
      { name: '专属网格', colour: '#bc80bd', test: function (g) { return !!g.d; } }] },
    { key: 'status', name: '工作量', classes: [
      { name: '绿：每名网格员不超过 ' + limits[0] + ' 户', colour: '#31a354', test: function (g) { return g.status === 'green'; } },
      { name: '黄：' + limits[0] + '–' + limits[1] + ' 户', colour: '#fec44f', test: function (g) { return g.status === 'yellow'; } },
      { name: '红：超过 ' + limits[1] + ' 户', colour: '#e31a1c', test: function (g) { return g.status === 'red'; } }] }];
  D.kinds.forEach(function (k, i) {
    var share = function (g) { return g.cov[i] === null ? -1 : g.cov[i] / 10; };
    modes.push({ key: 'cov:' + k[0], name: k[1] + '覆盖（' + k[2] + ' 米内）', classes: [
      { name: '全部住户覆盖', colour: '#1a9850', test: function (g) { return share(g) >= 100; } },
      { name: '一半以上', colour: '#a6d96a', test: function (g) { var s = share(g); return s >= 50 && s < 100; } },
      { name: '不到一半', colour: '#fdae61', test: function (g) { var s = share(g); return s > 0 && s < 50; } },
      { name: '无住户覆盖', colour: '#d73027', test: function (g) { return share(g) === 0; } },
      { name: '无住户', colour: '#dddddd', test: function (g) { return share(g) < 0; } }] });
  });
  var mode = modes[0], hidden = {};
  var layers = { roads: true, barriers: true, micro: false, streets: true, communities: true };
  function classOf(g) { for (var i = 0; i < mode.classes.length; i++) if (mode.classes[i].test(g)) return i; return -1; }
  function visible(g) { var c = classOf(g); return c >= 0 && !hidden[mode.key + ':' + c]; }

  var view, selected = null, selectedMicro = null;
  function fit(b, pad) {
    var w = Math.max(b[2] - b[0], 50), h = Math.max(b[3] - b[1], 50);
    var s = Math.min(canvas.width / w, canvas.height / h) * pad;
    view = { s: s, x: canvas.width / 2 - (b[0] + b[2]) / 2 * s, y: canvas.height / 2 + (b[1] + b[3]) / 2 * s };
  }
  function world() { ctx.setTransform(view.s, 0, 0, -view.s, view.x, view.y); }
  function screen(p) { return [p[0] * view.s + view.x, -p[1] * view.s + view.y]; }
  // Labels never overlap: one placed later than an overlapping one is left out (streets first).
  var placed = [];
  function label(text, p, font, colour) {
    var q = screen(p); if (q[0] < -50 || q[1] < -20 || q[0] > canvas.width + 50 || q[1] > canvas.height + 20) return;
    ctx.font = font; ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
    var w = ctx.measureText(text).width / 2 + 2, h = 9;
    var box = [q[0] - w, q[1] - h, q[0] + w, q[1] + h];
    for (var i = 0; i < placed.length; i++) { var o = placed[i];
      if (box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3]) return; }
    placed.push(box);
    ctx.lineWidth = 3; ctx.strokeStyle = 'rgba(255,255,255,0.9)'; ctx.strokeText(text, q[0], q[1]);
    ctx.fillStyle = colour; ctx.fillText(text, q[0], q[1]);
  }
  function draw() {
    ctx.setTransform(1, 0, 0, 1, 0, 0); ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = '#f7f7f2'; ctx.fillRect(0, 0, canvas.width, canvas.height);
    world();
    var shown = 0;
    grids.forEach(function (g) { if (!visible(g)) return; shown++;
      ctx.fillStyle = mode.classes[classOf(g)].colour; ctx.globalAlpha = 0.8; ctx.fill(g.path, 'evenodd'); });
    ctx.globalAlpha = 1;
    if (layers.roads) D.road_classes.forEach(function (c, i) {
      var major = MAJOR_ROAD.test(c); ctx.strokeStyle = major ? '#737373' : '#a8a8a8';
      ctx.lineWidth = (major ? 1.2 : 0.5) / view.s; ctx.stroke(roadPaths[i]); });
    if (layers.barriers) D.barrier_classes.forEach(function (c, i) {
      var water = /river|canal|water|stream/.test(c), rail = /rail/.test(c);
      ctx.strokeStyle = water ? '#3182bd' : rail ? '#555555' : '#e6550d';
      ctx.lineWidth = (water ? 2.6 : 1.6) / view.s; ctx.setLineDash(rail ? [6 / view.s, 4 / view.s] : []);
      ctx.stroke(barrierPaths[i]); });
    ctx.setLineDash([]);
    grids.forEach(function (g) { if (!visible(g) || g === selected) return;
      ctx.strokeStyle = '#ffffff'; ctx.lineWidth = 0.8 / view.s; ctx.stroke(g.path); });
    var microShown = 0;
    if (layers.micro) {
      ctx.strokeStyle = '#444444'; ctx.lineWidth = 0.6 / view.s; ctx.setLineDash([3 / view.s, 2 / view.s]);
      D.micro.forEach(function (m) { if (!visible(grids[m.grid])) return; microShown++; ctx.stroke(m.path); });
      ctx.setLineDash([]);
      if (selectedMicro) { ctx.strokeStyle = '#000000'; ctx.lineWidth = 1.6 / view.s; ctx.stroke(selectedMicro.path); }
    }
    if (selected) { ctx.strokeStyle = '#000000'; ctx.lineWidth = 2.8 / view.s; ctx.stroke(selected.path); }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    placed = [];
    if (layers.streets) D.streets.forEach(function (s) { label(s.name, s.lp, 'bold 15px sans-serif', '#7a0177'); });
    if (layers.communities && view.s > 0.25) D.communities.forEach(function (c) { label(c.name, c.lp, '12px sans-serif', '#333333'); });
    if (view.s > 1.2) grids.forEach(function (g) { if (g.lp && visible(g)) label(g.id, g.lp, '11px sans-serif', '#000000'); });
    body.dataset.map = 'drawn:' + shown;
    body.dataset.micro = layers.micro ? 'drawn:' + microShown : 'hidden';
  }

  function pct(v) { return v === null ? '—' : (v / 10).toFixed(v % 10 ? 1 : 0) + '%'; }
  function details(g, m) {
    var lines = [(g.d ? '专属网格（' + g.d + '）' : '基础网格') + ' ' + g.id, g.street + (g.community ? ' · ' + g.community : '')];
    lines.push('住户 ' + fmt(g.hh) + ' 户，人口 ' + fmt(g.persons) + ' 人' + (g.elderly === null ? '' : '（老年人 ' + fmt(g.elderly) + ' 人）') +
      '，楼栋 ' + fmt(g.bld) + ' 栋，面积 ' + (g.area / 10000).toFixed(1) + ' 公顷');
    if (!g.d) lines.push(g.hh >= band[0] && g.hh <= band[1] ? '户数在 ' + band[0] + '–' + band[1] + ' 户标准内' : '户数不在 ' + band[0] + '–' + band[1] + ' 户标准内');
    var status = { green: '绿（正常）', yellow: '黄（偏重）', red: '红（超负荷）' }[g.status] || '—';
    lines.push('网格员 ' + g.workers + ' 名，每名负责 ' + fmt(g.hpw) + ' 户，工作量：' + status);
    if (g.micro) lines.push('微网格 ' + g.micro + ' 个');
    if (g.note) lines.push('说明：' + g.note);
    if (D.kinds.length) lines.push('15分钟服务圈（按户覆盖）：' + D.kinds.map(function (k, i) { return k[1] + ' ' + pct(g.cov[i]); }).join('、'));
    if (g.names) { var n = g.names.split(';'); lines.push('楼栋与小区：' + n.slice(0, 12).join('、') + (n.length > 12 ? ' 等 ' + n.length + ' 个' : '')); }
    if (m) lines.push('所点微网格 ' + m.id + '：' + fmt(m.hh) + ' 户' + (m.note ? '，' + m.note : ''));
    return lines.join('\n');
  }
  function select(g, m) {
    selected = g; selectedMicro = m || null; draw();
    info.textContent = g ? details(g, selectedMicro) : '点击地图上的网格，或在上方搜索';
    body.dataset.selected = g ? g.id : '';
  }
  function pick(px, py) {
    world();
    var hit = null;
    for (var i = grids.length - 1; i >= 0 && !hit; i--) if (visible(grids[i]) && ctx.isPointInPath(grids[i].path, px, py, 'evenodd')) hit = grids[i];
    var micro = null;
    if (hit && layers.micro) D.micro.forEach(function (m) { if (m.grid === hit.index && ctx.isPointInPath(m.path, px, py, 'evenodd')) micro = m; });
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    return [hit, micro];
  }

  // Legend: the mode's colour classes (click to hide or show) and the layers.
  function buildLegend() {
    legend.textContent = '';
    var sel = document.createElement('select'); sel.id = 'mode';
    modes.forEach(function (m, i) { var o = document.createElement('option'); o.value = i; o.textContent = '着色：' + m.name; sel.appendChild(o); });
    sel.value = modes.indexOf(mode);
    sel.onchange = function () { mode = modes[+sel.value]; buildLegend(); draw(); };
    legend.appendChild(sel);
    mode.classes.forEach(function (c, i) {
      var key = mode.key + ':' + i, item = document.createElement('label'); item.className = 'item';
      var box = document.createElement('input'); box.type = 'checkbox'; box.checked = !hidden[key]; box.dataset.cls = i;
      box.onchange = function () { hidden[key] = !box.checked; draw(); };
      var sw = document.createElement('span'); sw.className = 'swatch'; sw.style.background = c.colour;
      item.appendChild(box); item.appendChild(sw); item.appendChild(document.createTextNode(c.name + '（' + grids.filter(c.test).length + ' 个）'));
      legend.appendChild(item);
    });
    [['roads', '道路', 'line', '#8c8c8c'], ['barriers', '主干道、河流、铁路（网格不跨越）', 'line', '#d95f0e'], ['micro', '微网格（' + D.micro.length + ' 个）', 'dash', '#444444'],
      ['streets', '街道名称', 'text', '#7a0177'], ['communities', '社区名称', 'text', '#333333']].forEach(function (l) {
      if (l[0] === 'micro' && !D.micro.length) return;
      var item = document.createElement('label'); item.className = 'item';
      var box = document.createElement('input'); box.type = 'checkbox'; box.id = 'layer-' + l[0]; box.checked = layers[l[0]];
      box.onchange = function () { layers[l[0]] = box.checked; if (!box.checked && l[0] === 'micro') selectedMicro = null; draw(); };
      var sw = document.createElement('span'); sw.className = 'swatch ' + l[2]; sw.style.borderColor = l[3];
      item.appendChild(box); item.appendChild(sw); item.appendChild(document.createTextNode(l[1]));
      legend.appendChild(item);
    });
  }

  // Search: grid id or code, street, community, building, compound or unit name.
  var input = document.getElementById('search'), results = document.getElementById('results');
  function show(g) {
    fit(g.bbox, 0.5); select(g, null);
  }
  function search() {
    var q = input.value.trim().toLowerCase(); results.textContent = '';
    if (!q) { body.dataset.results = '0'; return []; }
    var found = grids.filter(function (g) { return g.search.indexOf(q) >= 0; });
    found.sort(function (a, b) { return (b.id.toLowerCase() === q) - (a.id.toLowerCase() === q) || a.index - b.index; });
    found.slice(0, 30).forEach(function (g) {
      var b = document.createElement('button'); b.className = 'result'; b.dataset.grid = g.id;
      var hit = g.names.split(';').filter(function (n) { return n.toLowerCase().indexOf(q) >= 0; })[0];
      b.textContent = g.id + ' · ' + (g.community || g.street) + (hit ? ' · ' + hit : '') + ' · ' + fmt(g.hh) + ' 户';
      b.onclick = function () { show(g); };
      results.appendChild(b);
    });
    if (found.length > 30) results.appendChild(document.createTextNode('另有 ' + (found.length - 30) + ' 个，请输入更多字'));
    if (!found.length) results.appendChild(document.createTextNode('没有找到'));
    body.dataset.results = String(found.length);
    return found;
  }
  input.addEventListener('input', search);
  input.addEventListener('keydown', function (e) { if (e.key === 'Enter') { var f = search(); if (f.length) show(f[0]); } });

  var drag = null, moved = false;
  canvas.addEventListener('mousedown', function (e) { drag = [e.offsetX, e.offsetY]; moved = false; });
  window.addEventListener('mouseup', function () { drag = null; });
  canvas.addEventListener('mousemove', function (e) { if (!drag) return; var dx = e.offsetX - drag[0], dy = e.offsetY - drag[1];
    if (Math.abs(dx) + Math.abs(dy) > 2) moved = true; view.x += dx; view.y += dy; drag = [e.offsetX, e.offsetY]; draw(); });
  function zoom(f, cx, cy) { view.x = cx - (cx - view.x) * f; view.y = cy - (cy - view.y) * f; view.s *= f; draw(); }
  canvas.addEventListener('wheel', function (e) { e.preventDefault(); zoom(e.deltaY < 0 ? 1.25 : 0.8, e.offsetX, e.offsetY); }, { passive: false });
  document.getElementById('zin').onclick = function () { zoom(1.5, canvas.width / 2, canvas.height / 2); };
  document.getElementById('zout').onclick = function () { zoom(1 / 1.5, canvas.width / 2, canvas.height / 2); };
  document.getElementById('zreset').onclick = function () { fit(all, 0.95); draw(); };
  canvas.addEventListener('click', function (e) { if (moved) return; var h = pick(e.offsetX, e.offsetY); select(h[0], h[1]); });

  // For tests and for linking: where a grid's label point is on screen now.
  window.gridplanMap = { screenOf: function (id) { var g = grids.filter(function (x) { return x.id === id; })[0]; return g && g.lp ? screen(g.lp) : null; } };
  fit(all, 0.95); buildLegend(); select(null);
})();
