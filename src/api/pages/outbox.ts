import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { FileOutbox, OutboxRecord } from '../../channels/outbox';
import { PREVIEW_CSS, PREVIEW_PANEL, PREVIEW_SCRIPT } from './outbox-preview';
import { escapeHtml } from './shell';

// Kept importable from here, where it first lived.
export { escapeHtml };

/**
 * The dev outbox in a browser: every message Aftercare "sent" without provider credentials.
 * Email bodies are never inlined into this page: each one loads in a sandboxed iframe from
 * GET /outbox/:id, which carries its own CSP, so nothing in a message can run or phone home.
 * Routes carry no schemas on purpose: the app's zod validator compiler would reject JSON schemas.
 */

/** For the raw message: inline styles and remote images render, nothing else loads or runs. */
export const MESSAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data: https:";

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

export async function outboxRoutes(app: FastifyInstance, opts: { outbox: FileOutbox }): Promise<void> {
  const { outbox } = opts;

  app.get('/outbox', async (request, reply) => {
    const limit = parseLimit((request.query as { limit?: unknown }).limit);
    const records = await outbox.list(limit);
    const nonce = randomBytes(16).toString('base64');
    noStore(reply)
      .header(
        'content-security-policy',
        `default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; connect-src 'self'; frame-src 'self'; img-src data: https:; base-uri 'none'; form-action 'none'`,
      )
      .type('text/html; charset=utf-8');
    return renderPage(records, limit, nonce);
  });

  app.get('/outbox.json', async (request, reply) => {
    const records = await outbox.list(parseLimit((request.query as { limit?: unknown }).limit));
    noStore(reply);
    return records;
  });

  app.get('/outbox/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const record = await outbox.get(id);
    if (!record) {
      return reply.status(404).send({ error: { code: 'not_found', message: `no message ${id} in the outbox` } });
    }
    noStore(reply).header('content-security-policy', MESSAGE_CSP).header('referrer-policy', 'no-referrer');
    if (record.html) return reply.type('text/html; charset=utf-8').send(record.html);
    return reply.type('text/plain; charset=utf-8').send(record.text);
  });
}

function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store').header('x-content-type-options', 'nosniff');
}

function parseLimit(value: unknown): number {
  const n = typeof value === 'string' ? Number.parseInt(value, 10) : NaN;
  return Number.isFinite(n) && n > 0 ? Math.min(n, MAX_LIMIT) : DEFAULT_LIMIT;
}

function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function preview(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const chars = Array.from(flat);
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join('')}…`;
}

function renderRecord(r: OutboxRecord, index: number): string {
  const e = escapeHtml;
  // Relative links, so the page also works when the plugin is registered under a prefix.
  const rawUrl = `outbox/${encodeURIComponent(r.id)}`;
  const meta = [
    ['To', r.to],
    ...(r.from ? [['From', r.from]] : []),
    ['Workflow', r.workflowId],
    ['Message', r.messageKey],
  ]
    .map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`)
    .join('');
  const body = r.html
    ? `<h2>${e(r.subject ?? '(no subject)')}</h2>
       <p class="preview">${e(preview(r.text))}</p>
       <details${index === 0 ? ' open' : ''}><summary>Email preview</summary>
         <iframe sandbox="allow-popups allow-popups-to-escape-sandbox" loading="lazy" referrerpolicy="no-referrer" src="${e(rawUrl)}" title="${e(r.subject ?? 'email')}"></iframe>
       </details>
       <details><summary>Plain-text part</summary><pre>${e(r.text)}</pre></details>
       <p class="links"><a href="${e(rawUrl)}" target="_blank" rel="noopener noreferrer">Open HTML in a new tab</a></p>`
    : `${r.subject ? `<h2>${e(r.subject)}</h2>` : ''}<pre class="text">${e(r.text)}</pre>
       <p class="count">${Array.from(r.text).length} characters</p>`;
  return `<article class="msg">
    <header>
      <time datetime="${e(r.createdAt)}">${e(formatTime(r.createdAt))}</time>
      <span class="badge ch-${e(r.channel)}">${e(r.channel)}</span>
      <span class="badge">${e(r.kind)}</span>
      <span class="badge" title="locale">${e(r.locale)}</span>
      ${r.variant ? `<span class="badge" title="A/B variant">${e(r.variant)}</span>` : ''}
    </header>
    <dl>${meta}</dl>
    ${body}
  </article>`;
}

function renderPage(records: OutboxRecord[], limit: number, nonce: string): string {
  const latest = records[0]?.id ?? '';
  const items = records.length
    ? records.map(renderRecord).join('\n')
    : '<p class="empty">No messages yet. When a channel has no provider credentials, its messages land here.</p>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Aftercare · dev outbox</title>
<noscript><meta http-equiv="refresh" content="5"></noscript>
<style>
  :root { color-scheme: light; --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --accent: #2f5bea; }
  * { box-sizing: border-box; }
  body { margin: 0; background: #f2f4f7; color: var(--ink); font: 15px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Noto Sans", "Noto Sans Bengali", sans-serif; }
  main { max-width: 860px; margin: 0 auto; padding: 24px 16px 64px; }
  h1 { font-size: 22px; margin: 0 0 4px; }
  .sub { color: var(--muted); margin: 0 0 24px; }
  .msg { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 16px 20px; margin: 0 0 16px; }
  .msg header { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-bottom: 8px; }
  time { color: var(--muted); font-variant-numeric: tabular-nums; margin-right: 4px; }
  .badge { background: #eef2f7; border-radius: 999px; padding: 1px 10px; font-size: 13px; }
  .ch-email { background: #e0e8ff; } .ch-sms { background: #e3f8e9; } .ch-telegram { background: #e0f4ff; } .ch-whatsapp { background: #e6f9ef; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0 0 10px; font-size: 13px; }
  dt { color: var(--muted); } dd { margin: 0; word-break: break-all; }
  h2 { font-size: 17px; margin: 4px 0 6px; }
  .preview, .count, .links { color: var(--muted); margin: 0 0 8px; font-size: 14px; }
  pre { white-space: pre-wrap; word-break: break-word; background: #f7f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; margin: 6px 0; font: 14px/1.5 ui-monospace, SFMono-Regular, Menlo, monospace; }
  pre.text { font-family: inherit; font-size: 15px; }
  summary { cursor: pointer; color: var(--accent); margin: 6px 0; }
  iframe { width: 100%; height: 640px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
  a { color: var(--accent); }
  .empty { background: #fff; border: 1px dashed var(--line); border-radius: 10px; padding: 32px; text-align: center; color: var(--muted); }${PREVIEW_CSS}
</style>
</head>
<body data-latest="${escapeHtml(latest)}">
<main>
  <h1>Dev outbox</h1>
  <p class="sub">${records.length} message${records.length === 1 ? '' : 's'}, newest first (up to ${limit}) · refreshes when a new one arrives · <a href="outbox.json">JSON</a></p>
  ${PREVIEW_PANEL}
  ${items}
</main>
<script nonce="${escapeHtml(nonce)}">
  // Reload only when something new arrived, so open previews stay open while idle; never under an open preview form.
  (function () {
    var shown = document.body.getAttribute('data-latest') || '';
    setInterval(function () {
      if (document.getElementById('preview-panel').open) return;
      fetch('outbox.json?limit=1', { cache: 'no-store' })
        .then(function (r) { return r.json(); })
        .then(function (list) { var latest = list.length ? list[0].id : ''; if (latest !== shown) location.reload(); })
        .catch(function () {});
    }, 5000);
  })();
${PREVIEW_SCRIPT}
</script>
</body>
</html>`;
}
