/**
 * The dev outbox's preview panel: a hypothetical order and customer in a form, POST /v1/preview with the
 * business's API key (the page itself needs none, /v1 does: the key is typed in, kept in the field only), and the
 * list that comes back. Results are written with textContent, never as HTML. The page's CSP allows this script
 * by its nonce and fetch to 'self' only.
 */

export const PREVIEW_CSS = `
  .preview-panel { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 12px 20px; margin: 0 0 20px; }
  .preview-panel summary { font-weight: 600; }
  .preview-panel form { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 10px 14px; margin: 12px 0; }
  .preview-panel label { display: flex; flex-direction: column; font-size: 13px; color: var(--muted); gap: 3px; }
  .preview-panel input, .preview-panel select, .preview-panel textarea { font: inherit; color: var(--ink); padding: 5px 8px; border: 1px solid var(--line); border-radius: 6px; }
  .preview-panel .wide { grid-column: 1 / -1; }
  .preview-panel button { font: inherit; font-weight: 600; padding: 7px 16px; border: 0; border-radius: 6px; background: var(--accent); color: #fff; cursor: pointer; justify-self: start; }
  .preview-panel table { width: 100%; border-collapse: collapse; font-size: 14px; margin: 8px 0; }
  .preview-panel th, .preview-panel td { text-align: left; vertical-align: top; border-top: 1px solid var(--line); padding: 6px 6px; }
  .preview-panel tr.skipped td { color: var(--muted); text-decoration: line-through; }
  .preview-panel tr.skipped td.note { text-decoration: none; }
  .preview-panel .note { color: var(--muted); font-size: 13px; }
  .preview-panel .error { color: #b42318; white-space: pre-wrap; }
  .preview-panel ul { color: var(--muted); font-size: 13px; padding-left: 18px; }`;

export const PREVIEW_PANEL = `<details class="preview-panel" id="preview-panel">
  <summary>Preview an order's messages</summary>
  <p class="sub">Every message the order and its customer would get, at what time, on which channel, and what is skipped and why. Nothing is sent.</p>
  <form id="preview-form" autocomplete="off">
    <label class="wide">API key (<code>cat .data/dev-api-key</code>)<input name="key" type="password" required></label>
    <label>Order id<input name="orderId" value="PREVIEW-1" required></label>
    <label>Customer name<input name="name" value="Ada" required></label>
    <label>Email<input name="email" type="email" value="ada@example.com"></label>
    <label>Phone (E.164)<input name="phone" placeholder="+447700900123"></label>
    <label>Time zone<input name="timeZone" id="preview-tz" value="UTC"></label>
    <label>Language<select name="locale"><option value="en">English</option><option value="bn">Bengali</option></select></label>
    <label>Marketing<select name="marketing">
      <option value="">not stated (the playbook decides)</option>
      <option value="yes">gave consent</option>
      <option value="no">opted out</option>
    </select></label>
    <label>Item<input name="itemName" value="Blue sofa" required></label>
    <label>Price<input name="price" type="number" min="0" step="0.01" value="499" required></label>
    <label>Currency<input name="currency" value="EUR" maxlength="3" required></label>
    <label>Warranty (months)<input name="warranty" type="number" min="1" max="600" placeholder="none"></label>
    <label>Placed at (your time)<input name="placedAt" type="datetime-local"></label>
    <label>Survey answer<select name="rating">
      <option value="">nobody answers</option>
      <option value="5">5: happy</option>
      <option value="2">2: unhappy</option>
    </select></label>
    <label>Answered after<input name="answeredAfter" placeholder="half-way to the reminder"></label>
    <label class="wide">Stage events (optional JSON; default: the playbook's stages one after another)
      <textarea name="stages" rows="2" placeholder='[{ "stage": "shipped", "at": "2026-03-03T10:00:00Z" }, { "stage": "delivered", "at": "2026-03-05T10:00:00Z" }]'></textarea></label>
    <button type="submit">Preview messages</button>
  </form>
  <div id="preview-result" aria-live="polite"></div>
</details>`;

/** Plain script (no templating inside): it reads the form and renders the answer with textContent. */
export const PREVIEW_SCRIPT = `
(function () {
  var form = document.getElementById('preview-form');
  var out = document.getElementById('preview-result');
  var tz = document.getElementById('preview-tz');
  try { tz.value = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch (e) {}
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }
  function when(iso) {
    var d = new Date(iso);
    return isNaN(d.getTime()) ? iso : d.toLocaleString();
  }
  function body(f) {
    // namedItem: the collection's own members (item, length) would shadow fields of those names.
    var v = function (name) { return (f.elements.namedItem(name).value || '').trim(); };
    var customer = { name: v('name'), timeZone: v('timeZone'), locale: v('locale') };
    if (v('email')) customer.email = v('email');
    if (v('phone')) customer.phone = v('phone');
    if (v('marketing') === 'yes') customer.marketingConsent = true;
    if (v('marketing') === 'no') customer.consent = [{ purpose: 'marketing', channel: 'all', granted: false }];
    var price = Number(v('price'));
    var item = { sku: 'ITEM-1', name: v('itemName'), quantity: 1, unitPrice: price };
    if (v('warranty')) item.warrantyMonths = Number(v('warranty'));
    var request = { orderId: v('orderId'), customer: customer, items: [item], currency: v('currency').toUpperCase(), total: price };
    if (v('placedAt')) request.placedAt = new Date(v('placedAt')).toISOString();
    if (v('stages')) request.stages = JSON.parse(v('stages'));
    if (v('rating')) {
      request.survey = { rating: Number(v('rating')) };
      if (v('answeredAfter')) request.survey.answeredAfter = v('answeredAfter');
    }
    return request;
  }
  function note(m) {
    var parts = [];
    if (m.to === 'business') parts.push('to the business');
    if (m.variant) parts.push('variant ' + m.variant);
    (m.held || []).forEach(function (h) { parts.push('held by ' + h.reason + ' until ' + when(h.until)); });
    if (m.dueAt) parts.push('due ' + when(m.dueAt));
    (m.passedOver || []).forEach(function (p) { parts.push(p.channel + ' passed over: ' + p.reason); });
    if (m.skipped) parts.push('skipped: ' + m.skipped);
    return parts.join('; ');
  }
  function show(answer) {
    out.textContent = '';
    var table = el('table');
    var head = el('tr');
    ['When', 'From', 'Kind', 'Channel', 'Subject / first line', 'Note'].forEach(function (h) { head.appendChild(el('th', h)); });
    table.appendChild(head);
    answer.messages.forEach(function (m) {
      var row = el('tr', undefined, m.skipped ? 'skipped' : '');
      row.appendChild(el('td', when(m.at)));
      row.appendChild(el('td', m.from));
      row.appendChild(el('td', m.kind));
      row.appendChild(el('td', m.channel || '-'));
      var subject = el('td', m.subject);
      if (m.preview) subject.title = m.preview;
      row.appendChild(subject);
      row.appendChild(el('td', note(m), 'note'));
      table.appendChild(row);
    });
    out.appendChild(el('p', answer.messages.length + ' messages, by time (your clock). Hover a subject for the text.', 'note'));
    out.appendChild(table);
    var list = el('ul');
    answer.assumptions.forEach(function (a) { list.appendChild(el('li', a)); });
    out.appendChild(el('p', 'Assumed:', 'note'));
    out.appendChild(list);
  }
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var request;
    try { request = body(form); } catch (e) { out.textContent = ''; out.appendChild(el('p', 'Stage events: ' + e.message, 'error')); return; }
    out.textContent = 'Planning…';
    fetch('v1/preview', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' + form.elements.namedItem('key').value.trim() },
      body: JSON.stringify(request),
    })
      .then(function (r) { return r.json().then(function (j) { return { status: r.status, json: j }; }); })
      .then(function (r) {
        if (r.status === 200) return show(r.json);
        var e = r.json.error || {};
        var lines = [r.status + ': ' + (e.message || 'failed')].concat((e.details || []).map(function (d) { return d.path + ': ' + d.message; }));
        out.textContent = '';
        out.appendChild(el('p', lines.join('\\n'), 'error'));
      })
      .catch(function (e) { out.textContent = ''; out.appendChild(el('p', String(e), 'error')); });
  });
})();`;
